"""What the connections tests share: the stored connections, the emulator's endpoints, a grant."""

import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

from django.urls import reverse

from sandbox.economic_api.seed import DEFAULT_APP_SECRET
from sandbox.stripe_api.models import WebhookEndpoint
from syncapp.connections.common import Service
from syncapp.connections.selectors import connection_for
from syncapp.models import ConnectionStatus, EconomicConnection, StripeConnection
from tests.conftest import ROOT

UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens there


def run_tenant_connect(env: dict, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """`manage.py tenant_connect` as an operator's shell runs it: its own process, exit code, stderr."""
    return subprocess.run(
        [sys.executable, "manage.py", "tenant_connect", *args],
        cwd=ROOT,
        env={
            **env,
            "ECONOMIC_APP_SECRET_TOKEN": DEFAULT_APP_SECRET,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
        },
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def economic_connection(tenant) -> EconomicConnection | None:
    return connection_for(tenant=tenant, service=Service.ECONOMIC)


def stripe_connection(tenant) -> StripeConnection | None:
    """The tenant's first Stripe account once anything is stored in it (a key, a secret, a
    status); None while it is as the tenant was created: not connected, nothing stored."""
    account = connection_for(tenant=tenant, service=Service.STRIPE)
    untouched = account is not None and (
        not account.api_key
        and not account.webhook_secret
        and account.status == ConnectionStatus.NOT_CONNECTED
        and account.verified_at is None
    )
    return None if untouched else account


def webhook_endpoints(stripe_account) -> list[WebhookEndpoint]:
    return list(WebhookEndpoint.objects.filter(account=stripe_account.account).order_by("id"))


def start_grant(client, tenant) -> str:
    """Press "Connect e-conomic"; the callback path e-conomic would send the browser back to."""
    response = client.post(reverse("economic_connect", args=[tenant.slug]))
    return urlsplit(parse_qs(urlsplit(response["Location"]).query)["redirectUrl"][0]).path
