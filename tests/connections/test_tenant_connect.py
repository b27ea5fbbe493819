"""`tenant_connect`: both credentials checked, then stored all or nothing; one JSON line, exit 2 on
a refusal."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.connections.helpers import (
    economic_connection,
    run_tenant_connect,
    stripe_connection,
    webhook_endpoints,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_tenant_connect_connects_both_and_prints_one_json_line(
    tenant, economic_agreement, stripe_account, sandbox_urls
):
    out = StringIO()
    call_command(
        "tenant_connect",
        tenant.slug,
        # `=`: a grant token may start with "-", which argparse would take for an option.
        f"--economic-grant-token={economic_agreement.grant_token}",
        "--stripe-api-key",
        stripe_account.api_key,
        stdout=out,
    )
    [line] = out.getvalue().splitlines()
    printed = json.loads(line)
    assert printed["economic"] == {
        "status": "connected",
        "agreement_number": economic_agreement.agreement_number,
        "company_name": "Testfirma ApS",
    }
    assert printed["stripe"]["status"] == "connected"
    assert printed["stripe"]["livemode"] is False
    assert printed["stripe"]["webhook_endpoint_id"] == webhook_endpoints(stripe_account)[0].stripe_id
    for secret in (
        economic_agreement.grant_token,
        stripe_account.api_key,
        stripe_connection(tenant).webhook_secret,
    ):
        assert secret not in line


def test_tenant_connect_with_a_refused_key_names_it_and_stores_nothing(
    tenant, economic_agreement, stripe_account, sandbox_urls
):
    with pytest.raises(CommandError) as failed:
        call_command(
            "tenant_connect",
            tenant.slug,
            f"--economic-grant-token={economic_agreement.grant_token}",
            "--stripe-api-key",
            "sk_test_" + "7" * 24,
        )
    assert failed.value.returncode == 2
    assert "--stripe-api-key was refused" in str(failed.value)
    assert economic_connection(tenant) is None and stripe_connection(tenant) is None  # all or nothing


def test_tenant_connect_exits_2_on_a_refused_grant(
    tenant, economic_agreement, sandbox_urls, _celery_worker_env
):
    """The real process: exit code and message on stderr, as an operator's script sees them."""
    env = {**_celery_worker_env, **sandbox_urls}
    result = run_tenant_connect(env, tenant.slug, "--economic-grant-token", "made-up")
    assert result.returncode == 2
    assert "--economic-grant-token was refused" in result.stderr
    assert result.stdout == ""
    assert economic_connection(tenant) is None


def test_tenant_connect_for_an_unknown_slug_exits_2(db):
    with pytest.raises(CommandError) as failed:
        call_command("tenant_connect", "nobody-here")
    assert failed.value.returncode == 2
