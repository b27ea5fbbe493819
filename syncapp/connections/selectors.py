"""Reads of a tenant's connections. Code outside this package asks these, never the fields."""

from typing import Literal, overload

from django.conf import settings

from syncapp.models import Connection, ConnectionStatus, EconomicConnection, StripeConnection, Tenant

from .common import CONNECTION_MODELS, Service


@overload
def connection_for(*, tenant: Tenant, service: Literal[Service.ECONOMIC]) -> EconomicConnection | None: ...
@overload
def connection_for(*, tenant: Tenant, service: Literal[Service.STRIPE]) -> StripeConnection | None: ...
def connection_for(*, tenant: Tenant, service: Service) -> Connection | None:
    return CONNECTION_MODELS[Service(service)].objects.for_tenant(tenant).first()


def webhook_secrets_for(*, tenant: Tenant) -> list[str]:
    """The signing secrets a Stripe event for this tenant may carry: the current one, and the one
    before it while Stripe still retries events signed with it. Empty until Stripe is connected."""
    connection = connection_for(tenant=tenant, service=Service.STRIPE)
    if connection is None:
        return []
    return [s for s in (connection.webhook_secret, connection.previous_webhook_secret) if s]


def stripe_webhook_url(tenant: Tenant) -> str:
    return settings.SITE_URL + tenant.webhook_path


def connections_summary(*, tenant: Tenant) -> dict:
    """What is connected, without any secret: for the command's JSON and the dashboard."""
    economic = connection_for(tenant=tenant, service=Service.ECONOMIC)
    stripe = connection_for(tenant=tenant, service=Service.STRIPE)
    return {
        "slug": tenant.slug,
        Service.ECONOMIC.value: {
            "status": economic.status if economic else ConnectionStatus.NOT_CONNECTED.value,
            "agreement_number": economic.agreement_number if economic else None,
            "company_name": economic.company_name if economic else "",
        },
        Service.STRIPE.value: {
            "status": stripe.status if stripe else ConnectionStatus.NOT_CONNECTED.value,
            "livemode": stripe.livemode if stripe else None,
            "webhook_endpoint_id": stripe.webhook_endpoint_stripe_id if stripe else "",
            "webhook_url": stripe_webhook_url(tenant),
        },
    }
