"""What the connections tests share: the stored connections, the emulator's endpoints, a grant."""

from urllib.parse import parse_qs, urlsplit

from django.urls import reverse

from sandbox.stripe_api.models import WebhookEndpoint
from syncapp.connections.common import Service
from syncapp.connections.selectors import connection_for
from syncapp.models import EconomicConnection, StripeConnection

UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens there


def economic_connection(tenant) -> EconomicConnection | None:
    return connection_for(tenant=tenant, service=Service.ECONOMIC)


def stripe_connection(tenant) -> StripeConnection | None:
    return connection_for(tenant=tenant, service=Service.STRIPE)


def webhook_endpoints(stripe_account) -> list[WebhookEndpoint]:
    return list(WebhookEndpoint.objects.filter(account=stripe_account.account).order_by("id"))


def start_grant(client, tenant) -> str:
    """Press "Connect e-conomic"; the callback path e-conomic would send the browser back to."""
    response = client.post(reverse("economic_connect", args=[tenant.slug]))
    return urlsplit(parse_qs(urlsplit(response["Location"]).query)["redirectUrl"][0]).path
