"""Error reports to Sentry (optional, with SENTRY_DSN): no personal data, secrets masked."""

import os
import subprocess
import sys
from pathlib import Path

from syncapp.crypto import redact_sentry_event

ROOT = Path(__file__).resolve().parents[2]
# Built at run time, so nothing committed looks like a live Stripe key.
SECRET = "sk_" + "live_" + "51Abcdefghijklmnopqrstuvwxyz0123456789"


def test_before_send_masks_messages_exception_values_and_breadcrumbs():
    event = {
        "message": f"charging with {SECRET}",
        "logentry": {"message": "with %s", "params": [SECRET], "formatted": f"with {SECRET}"},
        "exception": {
            "values": [
                {
                    "type": "AuthenticationError",
                    "value": f"Invalid API Key provided: {SECRET}",
                    "stacktrace": {"frames": [{"function": "verify", "vars": {"api_key": f"'{SECRET}'"}}]},
                }
            ]
        },
        "breadcrumbs": {
            "values": [
                {"category": "log", "message": "webhook secret whsec_abcdefSECRET1234 rolled"},
                {"category": "httplib", "data": {"url": "https://example.test/cb/?token=GrantTok3n-xyz&x=1"}},
            ]
        },
        "request": {"url": "https://sync.example.com/t/acme/cb/", "query_string": "token=GrantTok3n-xyz"},
        "level": "error",
        "timestamp": 1700000000.5,
    }

    redacted = redact_sentry_event(event, {})

    text = repr(redacted)
    for secret in (SECRET, "whsec_abcdefSECRET1234", "GrantTok3n-xyz"):
        assert secret not in text
    assert redacted["message"] == "charging with sk_••••"
    assert redacted["logentry"]["params"] == ["sk_••••"]
    assert redacted["exception"]["values"][0]["value"] == "Invalid API Key provided: sk_••••"
    assert redacted["breadcrumbs"]["values"][0]["message"] == "webhook secret whsec_•••• rolled"
    assert redacted["breadcrumbs"]["values"][1]["data"]["url"].endswith("?token=••••&x=1")
    assert redacted["request"]["query_string"] == "token=••••"
    # What is not a secret is kept as it was.
    assert redacted["level"] == "error" and redacted["timestamp"] == 1700000000.5
    assert redacted["exception"]["values"][0]["type"] == "AuthenticationError"


def test_sentry_starts_only_with_a_dsn_without_personal_data_and_with_the_redaction():
    code = (
        "import django, sentry_sdk; django.setup(); c = sentry_sdk.get_client(); "
        "print(c.is_active(), *([c.options['send_default_pii'], c.options['before_send'].__name__, "
        "'django' in c.integrations, 'celery' in c.integrations] if c.is_active() else []))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    # An address nothing listens on: no event is sent by this test.
    with_dsn = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "SENTRY_DSN": "https://public@127.0.0.1:9/1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    expected = ["True", "False", "redact_sentry_event", "True", "True"]
    assert with_dsn.stdout.split() == expected, with_dsn.stderr
    without = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={k: v for k, v in env.items() if k != "SENTRY_DSN"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert without.stdout.split() == ["False"], without.stderr
