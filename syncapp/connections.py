"""The one place that turns a tenant's stored credentials into API clients."""

from django.conf import settings

from .clients.economic import EconomicClient
from .clients.ratelimit import limiter_from_settings
from .clients.stripe import StripeGateway
from .models import EconomicConnection, StripeConnection, Tenant


class NotConnected(Exception):
    """The tenant has not connected this service yet; the message says what to do."""


def economic_client_for(tenant: Tenant) -> EconomicClient:
    connection = EconomicConnection.objects.for_tenant(tenant).first()
    if connection is None or not connection.grant_token:
        raise NotConnected("e-conomic is not connected: connect it on the Connections page.")
    return economic_client(connection.grant_token, rate_key=f"tenant-{tenant.pk}")


def economic_client(grant_token: str, *, rate_key: str) -> EconomicClient:
    """A client for a grant token not stored yet (verifying a new connection) or a stored one."""
    return EconomicClient(
        grant_token,
        base_url=settings.ECONOMIC_API_URL,
        app_secret_token=settings.ECONOMIC_APP_SECRET_TOKEN,
        rate_key=rate_key,
        timeout=settings.ECONOMIC_TIMEOUT_SECONDS,
        limiter=limiter_from_settings(),
    )


def stripe_gateway_for(tenant: Tenant) -> StripeGateway:
    connection = StripeConnection.objects.for_tenant(tenant).first()
    if connection is None or not connection.api_key:
        raise NotConnected("Stripe is not connected: add your API key on the Connections page.")
    return stripe_gateway(connection.api_key)


def stripe_gateway(api_key: str) -> StripeGateway:
    return StripeGateway(
        api_key,
        base_url=settings.STRIPE_API_BASE,
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
    )
