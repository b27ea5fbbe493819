"""Reads of a tenant's connections. Code outside this package asks these, never the fields."""

from dataclasses import dataclass
from typing import Literal, overload

from django.conf import settings
from django.utils import timezone

from syncapp.models import Connection, ConnectionStatus, EconomicConnection, StripeConnection, Tenant

from .common import CONNECTION_MODELS, Service


@overload
def connection_for(*, tenant: Tenant, service: Literal[Service.ECONOMIC]) -> EconomicConnection | None: ...
@overload
def connection_for(*, tenant: Tenant, service: Literal[Service.STRIPE]) -> StripeConnection | None: ...
def connection_for(*, tenant: Tenant, service: Service) -> Connection | None:
    return CONNECTION_MODELS[Service(service)].objects.for_tenant(tenant).first()


@dataclass(frozen=True)
class WebhookVerification:
    """What the webhook entry checks a Stripe event against, read in one query."""

    # The current signing secret, and the one before it for 24 hours after it was replaced (no
    # recorded limit: still valid). Empty until Stripe is connected.
    secrets: list[str]
    livemode: bool | None
    account_id: str

    def misfit(self, event: dict) -> str | None:
        """Why a verified event cannot be for this connection, or None when it fits.

        A test-mode event at a live connection (or the reverse) or an event naming another account
        means a misrouted endpoint: syncing it would write another world's customers.
        """
        livemode = bool(event.get("livemode"))
        if self.livemode is not None and livemode != self.livemode:
            event_mode, ours = ("live", "test") if livemode else ("test", "live")
            return f"A {event_mode}-mode event cannot be for this merchant's {ours}-mode Stripe connection."
        account = event.get("account") or ""
        if account and account != self.account_id:
            return f"The event belongs to another Stripe account ({account})."
        return None


def webhook_verification_for(*, tenant: Tenant) -> WebhookVerification:
    connection = connection_for(tenant=tenant, service=Service.STRIPE)
    if connection is None:
        return WebhookVerification(secrets=[], livemode=None, account_id="")
    until = connection.previous_webhook_secret_until
    previous = connection.previous_webhook_secret if until is None or until > timezone.now() else ""
    return WebhookVerification(
        secrets=[s for s in (connection.webhook_secret, previous) if s],
        livemode=connection.livemode,
        account_id=connection.account_id,
    )


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
