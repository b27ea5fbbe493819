"""Connecting both services in one go, all or nothing: the `tenant_connect` command's service."""

from django.db import transaction

from syncapp.models import Tenant

from .economic import economic_prepare, economic_store
from .selectors import connections_summary, stripe_account_summary
from .stripe import stripe_account_for_connect, stripe_prepare, stripe_store


def tenant_connect(
    *,
    tenant: Tenant,
    economic_grant_token: str | None = None,
    stripe_api_key: str | None = None,
    stripe_webhook_secret: str | None = None,
    stripe_account_name: str | None = None,
) -> dict:
    """Check every credential given, then store them all, or none if one is refused.

    e-conomic is checked first because its check has no side effect; the Stripe check may
    register a webhook endpoint, which is only worth doing once the rest is known to be good.
    """
    economic = None
    if economic_grant_token is not None:
        economic = economic_prepare(tenant=tenant, grant_token=economic_grant_token)
    account = stripe_account_for_connect(tenant=tenant, name=stripe_account_name)
    stripe = None
    if stripe_api_key is not None or stripe_webhook_secret is not None:
        stripe = stripe_prepare(account=account, api_key=stripe_api_key, webhook_secret=stripe_webhook_secret)
    with transaction.atomic():
        if economic is not None:
            economic_store(tenant=tenant, credentials=economic)
        if stripe is not None:
            account = stripe_store(account=account, credentials=stripe)
    summary = connections_summary(tenant=tenant)
    if account.pk:
        # The account this command was about (DESIGN.md: its name and its webhook path).
        summary["stripe_account_name"] = account.name
        summary["webhook_path"] = account.webhook_path
        summary["stripe_account"] = stripe_account_summary(account)
    return summary
