"""The one place that turns a tenant's stored credentials into API clients."""

from django.conf import settings

from syncapp.clients.budget import DailyBudget, budget_for
from syncapp.clients.economic import EconomicClient, ResponseHook
from syncapp.clients.ratelimit import RateLimiter, limiter_for
from syncapp.clients.stripe import StripeClient
from syncapp.metrics import api_call_observed
from syncapp.models import StripeConnection, Tenant

from .common import NotConnected, Service
from .selectors import agreement_key, connection_for
from .stripe_platform import stripe_access_token


def economic_client_for(tenant: Tenant, *, background: bool = False) -> EconomicClient:
    """`background`: work that can wait (an import, a probe), the first to stop near the daily budget."""
    connection = connection_for(tenant=tenant, service=Service.ECONOMIC)
    if connection is None or not connection.grant_token:
        raise NotConnected(
            "e-conomic is not connected: connect it on the Connections page.",
            said=("economic_not_connected", {}),
        )
    # Tenants on one agreement share its rate limit (and, through the sync, its match value locks).
    return economic_client(
        connection.grant_token, rate_key=agreement_key(connection, tenant), background=background
    )


def economic_client(
    grant_token: str,
    *,
    rate_key: str,
    background: bool = False,
    on_response: ResponseHook = api_call_observed,
) -> EconomicClient:
    """A client for a grant token not stored yet (verifying a new connection) or a stored one."""
    return EconomicClient(
        grant_token,
        base_url=settings.ECONOMIC_API_URL,
        app_secret_token=settings.ECONOMIC_APP_SECRET_TOKEN,
        rate_key=rate_key,
        timeout=settings.ECONOMIC_TIMEOUT_SECONDS,
        limiter=economic_rate_limiter(),
        budget=economic_budget(),
        background=background,
        on_response=on_response,
    )


def economic_rate_limiter() -> RateLimiter:
    """Shared by every worker through Redis when REDIS_URL is set, else in-process."""
    return limiter_for(
        redis_url=settings.REDIS_URL,
        rate=settings.ECONOMIC_RATE_PER_SECOND,
        burst=settings.ECONOMIC_RATE_BURST,
        max_wait=settings.ECONOMIC_RATE_MAX_WAIT_SECONDS,
        max_pause=settings.SYNC_RETRY_MAX_SECONDS,
    )


def economic_budget() -> DailyBudget:
    """Each agreement's calls over a rolling 24 hours, shared by every worker through Redis."""
    return budget_for(
        redis_url=settings.REDIS_URL,
        limit=settings.ECONOMIC_DAILY_BUDGET,
        window_seconds=settings.ECONOMIC_BUDGET_WINDOW_SECONDS,
        background_share=settings.ECONOMIC_BUDGET_BACKGROUND_SHARE,
    )


def stripe_client_for(account: StripeConnection | None) -> StripeClient:
    """A client for one of the tenant's Stripe accounts: its pasted key, or our app's access token
    for it (refreshed first when it is about to expire) with its account in `Stripe-Account`."""
    if account is not None and account.via_stripe_app:
        return stripe_app_client(account, stripe_access_token(account=account))
    if account is None or not account.api_key:
        name = f" account “{account.name}”" if account is not None else ""
        said = ("stripe_account_not_connected", {"account": account.name}) if account is not None else None
        raise NotConnected(
            f"Stripe{name} is not connected: add its API key on the Connections page.",
            said=said or ("stripe_not_connected", {}),
        )
    return stripe_client(account.api_key)


def stripe_app_client(
    account: StripeConnection, access_token: str, *, on_response: ResponseHook = api_call_observed
) -> StripeClient:
    return StripeClient(
        access_token,
        base_url=settings.STRIPE_API_BASE,
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
        timeout=settings.STRIPE_TIMEOUT_SECONDS,
        on_response=on_response,
        stripe_account=account.account_id,
        livemode=bool(account.livemode),
    )


def stripe_client(api_key: str, *, on_response: ResponseHook = api_call_observed) -> StripeClient:
    return StripeClient(
        api_key,
        base_url=settings.STRIPE_API_BASE,
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
        timeout=settings.STRIPE_TIMEOUT_SECONDS,
        on_response=on_response,
    )
