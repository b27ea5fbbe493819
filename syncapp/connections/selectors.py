"""Reads of a tenant's connections. Code outside this package asks these, never the fields."""

from dataclasses import dataclass
from typing import Literal, overload

from django.conf import settings
from django.utils import timezone

from syncapp.models import (
    FIRST_STRIPE_ACCOUNT_NAME,
    Connection,
    ConnectionStatus,
    EconomicConnection,
    StripeAccess,
    StripeConnection,
    Tenant,
)

from .common import CONNECTION_MODELS, Service


@overload
def connection_for(*, tenant: Tenant, service: Literal[Service.ECONOMIC]) -> EconomicConnection | None: ...
@overload
def connection_for(*, tenant: Tenant, service: Literal[Service.STRIPE]) -> StripeConnection | None: ...
def connection_for(*, tenant: Tenant, service: Service) -> Connection | None:
    """The tenant's e-conomic connection, or its first Stripe account (`stripe_accounts_for`: all)."""
    return CONNECTION_MODELS[Service(service)].objects.for_tenant(tenant).order_by("id").first()


def stripe_accounts_for(*, tenant: Tenant) -> list[StripeConnection]:
    """Every Stripe account of the tenant, the first one first."""
    return list(StripeConnection.objects.for_tenant(tenant).order_by("id"))


def stripe_account_named(*, tenant: Tenant, name: str | None) -> StripeConnection | None:
    """The account with that name, or the first account when no name is given."""
    if not name:
        return connection_for(tenant=tenant, service=Service.STRIPE)
    return StripeConnection.objects.for_tenant(tenant).filter(name=name).first()


def stripe_account_first(*, tenant: Tenant) -> StripeConnection:
    """The tenant's first Stripe account, made (not connected) if it has none yet: its webhook URL
    is known before it connects."""
    account = connection_for(tenant=tenant, service=Service.STRIPE)
    if account is None:
        account, _ = StripeConnection.objects.for_tenant(tenant).get_or_create(name=FIRST_STRIPE_ACCOUNT_NAME)
    return account


def app_account_for(*, stripe_user_id: str) -> StripeConnection | None:
    """The tenant's Stripe account (with its tenant) that our app connects to this Stripe account,
    for the platform's Connect endpoint; None when no merchant here connects it now."""
    if not stripe_user_id:
        return None
    return (
        StripeConnection.all_tenants.select_related("tenant")
        .filter(access=StripeAccess.STRIPE_APP, account_id=stripe_user_id)
        .filter(status__in=[ConnectionStatus.CONNECTED, ConnectionStatus.FAILING])
        .order_by("id")
        .first()
    )


def agreement_key(connection: EconomicConnection | None, tenant: Tenant) -> str:
    """What tenants on one e-conomic agreement share (its rate limit, its match value locks): the
    agreement number e-conomic reports in `/self`; a tenant's own key until it is known."""
    if connection is not None and connection.agreement_number is not None:
        return f"agreement-{connection.agreement_number}"
    return f"tenant-{tenant.pk}"


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


def webhook_verification_for(*, connection: StripeConnection) -> WebhookVerification:
    until = connection.previous_webhook_secret_until
    previous = connection.previous_webhook_secret if until is None or until > timezone.now() else ""
    return WebhookVerification(
        secrets=[s for s in (connection.webhook_secret, previous) if s],
        livemode=connection.livemode,
        account_id=connection.account_id,
    )


def stripe_webhook_url(account: StripeConnection) -> str:
    return settings.SITE_URL + account.webhook_path


def stripe_account_summary(account: StripeConnection) -> dict:
    return {
        "name": account.name,
        "status": account.status,
        "livemode": account.livemode,
        "webhook_endpoint_id": account.webhook_endpoint_stripe_id,
        "webhook_url": stripe_webhook_url(account),
    }


def connections_summary(*, tenant: Tenant) -> dict:
    """What is connected, without any secret: for the command's JSON and the dashboard.

    `stripe` is the first account (a tenant's only one, for most); `stripe_accounts` lists all.
    """
    economic = connection_for(tenant=tenant, service=Service.ECONOMIC)
    accounts = [stripe_account_summary(account) for account in stripe_accounts_for(tenant=tenant)]
    return {
        "slug": tenant.slug,
        Service.ECONOMIC.value: {
            "status": economic.status if economic else ConnectionStatus.NOT_CONNECTED.value,
            "agreement_number": economic.agreement_number if economic else None,
            "company_name": economic.company_name if economic else "",
        },
        Service.STRIPE.value: accounts[0] if accounts else {"status": ConnectionStatus.NOT_CONNECTED.value},
        "stripe_accounts": accounts,
    }


def economic_connection_notified(*, notification_id: str) -> EconomicConnection | None:
    """The connection whose "Customer updated" web hook URL carries this id (any tenant's)."""
    if not notification_id:
        return None
    connections = EconomicConnection.all_tenants.select_related("tenant")
    return connections.filter(notification_id=notification_id).first()


def economic_notification_url(connection: EconomicConnection) -> str:
    return settings.SITE_URL + connection.notification_path
