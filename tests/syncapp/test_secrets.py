import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from syncapp import crypto
from syncapp.models import EconomicConnection, StripeConnection
from tests.conftest import admin_login
from tests.factories import StripeConnectionFactory

ROOT = Path(__file__).resolve().parents[2]
SECRET = "sk_test_51Abcdefghijklmnopqrstuvwxyz0123456789"


def _raw_api_key(pk):
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key FROM syncapp_stripeconnection WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_secret_is_stored_as_ciphertext(tenant):
    conn = StripeConnectionFactory(tenant=tenant, api_key=SECRET)
    raw = _raw_api_key(conn.pk)
    assert raw != SECRET
    assert SECRET not in raw
    assert StripeConnection.objects.for_tenant(tenant).get().api_key == SECRET


@pytest.mark.django_db
def test_key_rotation_old_key_decrypts_new_key_encrypts(tenant, settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = old_key
    conn = StripeConnectionFactory(tenant=tenant, api_key=SECRET)

    settings.FIELD_ENCRYPTION_KEY = f"{new_key},{old_key}"
    assert StripeConnection.objects.for_tenant(tenant).get().api_key == SECRET
    conn.save()  # re-encrypts with the first key
    raw = _raw_api_key(conn.pk)
    assert Fernet(new_key.encode()).decrypt(raw.encode()).decode() == SECRET

    settings.FIELD_ENCRYPTION_KEY = new_key  # the old key is retired
    assert StripeConnection.objects.for_tenant(tenant).get().api_key == SECRET


@pytest.mark.django_db
def test_admin_never_shows_the_secret(client, tenant, django_user_model):
    StripeConnectionFactory(tenant=tenant, api_key=SECRET, webhook_secret="whsec_abcdefSECRET1234")
    staff = django_user_model.objects.create_superuser(
        "support@example.com", "support@example.com", "x-pass-123456"
    )
    admin_login(client, staff)
    page = client.get(reverse("admin:syncapp_tenant_change", args=[tenant.pk])).content.decode()
    assert SECRET not in page
    assert "whsec_abcdefSECRET1234" not in page
    assert "•••• 6789" in page  # the masked form is shown instead


def test_masked_shows_only_the_last_four():
    assert crypto.masked(SECRET) == "•••• 6789"
    assert crypto.masked("") == ""


def test_log_filter_redacts_stripe_secrets(caplog):
    logger = logging.getLogger("syncapp.test")
    logger.addFilter(crypto.RedactSecretsFilter())
    with caplog.at_level(logging.INFO, logger="syncapp.test"):
        logger.info("connecting with %s", SECRET)
    assert SECRET not in caplog.text
    assert "sk_••••" in caplog.text


def test_log_filter_redacts_a_grant_token_in_a_request_line(caplog):
    logger = logging.getLogger("syncapp.test")
    logger.addFilter(crypto.RedactSecretsFilter())
    with caplog.at_level(logging.INFO, logger="syncapp.test"):
        logger.info('"GET /t/acme/connections/economic/callback/abc/?token=GrantTok3n-xyz&x=1 HTTP/1.1" 302')
    assert "GrantTok3n-xyz" not in caplog.text
    assert "?token=••••&x=1" in caplog.text


def _record_with_secrets() -> logging.LogRecord:
    try:
        raise ValueError(f"Stripe refused {SECRET}")
    except ValueError:
        return logging.getLogger("syncapp.test").makeRecord(
            "syncapp.test",
            logging.ERROR,
            __file__,
            1,
            "connecting with %s (secret whsec_abcdefSECRET1234) from %s",
            (SECRET, "/callback/?token=GrantTok3n-xyz"),
            sys.exc_info(),
        )


def test_log_filter_redacts_message_arguments_and_traceback():
    record = _record_with_secrets()
    assert crypto.RedactSecretsFilter().filter(record)
    output = logging.Formatter("%(message)s").format(record)
    assert "ValueError: Stripe refused sk_••••" in output  # the traceback is there, masked
    assert "connecting with sk_•••• (secret whsec_••••) from /callback/?token=••••" in output
    for secret in (SECRET, "whsec_abcdefSECRET1234", "GrantTok3n-xyz"):
        assert secret not in output


def _run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env={**os.environ, "SECRET_UNDER_TEST": SECRET},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_every_handler_django_configures_redacts(tmp_path):
    """Django's own loggers included: an error with a secret in its traceback is printed masked."""
    result = _run_python(
        """
        import logging, os
        import django
        django.setup()
        secret = os.environ["SECRET_UNDER_TEST"]
        try:
            raise RuntimeError("key " + secret)
        except RuntimeError:
            logging.getLogger("django.request").exception("Internal Server Error: /t/?token=tok123")
        logging.getLogger("customers.sync").warning("retrying with %s", secret)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "RuntimeError: key sk_••••" in result.stderr
    assert "Internal Server Error: /t/?token=••••" in result.stderr
    assert "retrying with sk_••••" in result.stderr
    assert SECRET not in result.stderr and "tok123" not in result.stderr


def test_celery_worker_log_handlers_redact(tmp_path):
    """Celery's logging setup (root and task loggers, here to a --logfile) gets the filter too."""
    logfile = tmp_path / "worker.log"
    result = _run_python(
        f"""
        import logging, os
        from celery.utils.log import get_task_logger
        from syncapp.celery import app
        app.log.setup(loglevel="INFO", logfile={str(logfile)!r})
        secret = os.environ["SECRET_UNDER_TEST"]
        logging.getLogger("customers.tasks").info("syncing with %s", secret)
        try:
            raise RuntimeError("key " + secret)
        except RuntimeError:
            get_task_logger("customers.tasks").exception("task failed")
        """
    )
    assert result.returncode == 0, result.stderr
    log = logfile.read_text()
    assert "syncing with sk_••••" in log
    assert "RuntimeError: key sk_••••" in log
    assert SECRET not in log


def _raw(model, pk, column):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_every_model_with_an_encrypted_field_is_found_through_the_registry():
    found = {model: [f.name for f in fields] for model, fields in crypto.encrypted_fields()}
    assert found[StripeConnection] == [
        "api_key",
        "webhook_secret",
        "previous_webhook_secret",
        "access_token",
        "refresh_token",
    ]
    assert found[EconomicConnection] == ["grant_token"]


@pytest.mark.django_db
def test_rotate_encryption_key_lets_the_old_key_be_dropped(tenant, settings, capsys):
    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = key_a
    stripe = StripeConnection.objects.for_tenant(tenant).create(
        api_key=SECRET,
        webhook_secret="whsec_abcdefSECRET1234",  # previous_webhook_secret stays empty
    )
    economic = EconomicConnection.objects.for_tenant(tenant).create(grant_token="grant-token-1")
    before = _raw(StripeConnection, stripe.pk, "api_key")

    settings.FIELD_ENCRYPTION_KEY = f"{key_b},{key_a}"
    call_command("rotate_encryption_key", "--dry-run")
    dry_run = json.loads(capsys.readouterr().out)
    assert dry_run["dry_run"] is True
    assert (dry_run["secrets"], dry_run["reencrypted"], dry_run["already_current"]) == (3, 3, 0)
    assert dry_run["models"]["syncapp.StripeConnection"] == {"secrets": 2, "reencrypted": 2}
    assert _raw(StripeConnection, stripe.pk, "api_key") == before  # nothing written

    call_command("rotate_encryption_key")
    report = json.loads(capsys.readouterr().out)
    assert (report["dry_run"], report["reencrypted"]) == (False, 3)
    assert Fernet(key_b.encode()).decrypt(_raw(EconomicConnection, economic.pk, "grant_token").encode())
    call_command("rotate_encryption_key")
    assert json.loads(capsys.readouterr().out)["already_current"] == 3

    settings.FIELD_ENCRYPTION_KEY = key_b  # key A retired
    stripe = StripeConnection.objects.for_tenant(tenant).get(pk=stripe.pk)
    assert (stripe.api_key, stripe.webhook_secret, stripe.previous_webhook_secret) == (
        SECRET,
        "whsec_abcdefSECRET1234",
        "",
    )
    assert EconomicConnection.objects.for_tenant(tenant).get().grant_token == "grant-token-1"


@pytest.mark.django_db
def test_rotate_encryption_key_changes_nothing_when_a_secret_cannot_be_decrypted(tenant, settings):
    key_a, key_b, key_c = (Fernet.generate_key().decode() for _ in range(3))
    settings.FIELD_ENCRYPTION_KEY = key_a
    economic = EconomicConnection.objects.for_tenant(tenant).create(grant_token="grant-token-1")
    settings.FIELD_ENCRYPTION_KEY = key_c
    StripeConnection.objects.for_tenant(tenant).create(api_key=SECRET)  # under key C
    before = _raw(EconomicConnection, economic.pk, "grant_token")

    settings.FIELD_ENCRYPTION_KEY = f"{key_b},{key_c}"  # key A dropped too early
    with pytest.raises(CommandError) as excinfo:
        call_command("rotate_encryption_key")
    assert excinfo.value.returncode == 2
    assert "syncapp.EconomicConnection.grant_token" in str(excinfo.value)
    assert _raw(EconomicConnection, economic.pk, "grant_token") == before


@pytest.mark.django_db
def test_rotate_encryption_key_reencrypts_the_stripe_apps_tokens(tenant, settings, capsys):
    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = key_a
    stripe = StripeConnection.objects.for_tenant(tenant).create(
        access="stripe_app", access_token="sk_test_oauth_ACCESS", refresh_token="rt_REFRESH"
    )
    settings.FIELD_ENCRYPTION_KEY = f"{key_b},{key_a}"
    call_command("rotate_encryption_key")
    assert json.loads(capsys.readouterr().out)["models"]["syncapp.StripeConnection"]["reencrypted"] == 2
    settings.FIELD_ENCRYPTION_KEY = key_b  # key A retired
    stripe = StripeConnection.objects.for_tenant(tenant).get(pk=stripe.pk)
    assert (stripe.access_token, stripe.refresh_token) == ("sk_test_oauth_ACCESS", "rt_REFRESH")
    assert "rt_REFRESH" not in _raw(StripeConnection, stripe.pk, "refresh_token")
