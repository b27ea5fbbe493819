"""`tenant_connect` takes its secrets from the environment or stdin, so they stay out of the shell
history and the process list."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from syncapp.models import EconomicConnection, StripeConnection
from tests.connections.helpers import run_tenant_connect, stripe_connection


def _connect(*args, stdin="") -> dict:
    out = StringIO()
    call_command("tenant_connect", *args, stdin=StringIO(stdin), stdout=out)
    return json.loads(out.getvalue())


def test_tenant_connect_reads_secrets_from_the_environment(
    tenant, economic_agreement, stripe_account, sandbox_urls, monkeypatch
):
    monkeypatch.setenv("ECONOMIC_GRANT_TOKEN", economic_agreement.grant_token)
    monkeypatch.setenv("STRIPE_API_KEY", stripe_account.api_key)

    printed = _connect(tenant.slug)

    assert printed["economic"]["status"] == "connected"
    assert printed["stripe"]["status"] == "connected"
    assert EconomicConnection.objects.for_tenant(tenant).get().grant_token == economic_agreement.grant_token
    assert StripeConnection.objects.for_tenant(tenant).get().api_key == stripe_account.api_key


def test_tenant_connect_reads_each_dash_option_from_a_line_of_stdin_in_the_listed_order(
    tenant, economic_agreement, stripe_account, sandbox_urls
):
    printed = _connect(
        tenant.slug,
        "--economic-grant-token",
        "-",
        "--stripe-api-key",
        "-",
        stdin=f"{stripe_account.api_key}\n{economic_agreement.grant_token}\n",
    )
    assert printed["economic"]["status"] == "connected"
    assert printed["stripe"]["status"] == "connected"


def test_an_option_given_wins_over_the_environment(tenant, economic_agreement, sandbox_urls, monkeypatch):
    monkeypatch.setenv("ECONOMIC_GRANT_TOKEN", "made-up")
    # `=`: a random token may start with "-", which argparse would take for an option.
    printed = _connect(tenant.slug, f"--economic-grant-token={economic_agreement.grant_token}")
    assert printed["economic"]["status"] == "connected"


def test_a_dash_option_with_nothing_on_stdin_exits_2(tenant):
    with pytest.raises(CommandError) as failed:
        _connect(tenant.slug, "--stripe-api-key", "-", stdin="")
    assert failed.value.returncode == 2
    assert "--stripe-api-key -: no line to read on stdin" in str(failed.value)
    assert stripe_connection(tenant) is None


def test_an_operator_pipes_the_secret_in(tenant, economic_agreement, sandbox_urls, _celery_worker_env):
    """The real process reading its real stdin: a refused token piped in is named, exit 2."""
    env = {**_celery_worker_env, **sandbox_urls}
    result = run_tenant_connect(
        env, tenant.slug, "--economic-grant-token", "-", stdin="made-up-piped-token\n"
    )
    assert result.returncode == 2, result.stderr
    assert "--economic-grant-token was refused" in result.stderr
    assert not EconomicConnection.objects.for_tenant(tenant).exists()
