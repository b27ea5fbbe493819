"""Connecting a merchant's Stripe account: check the key, register our webhook endpoint, store.

A refused key leaves the tenant exactly as it was. The key and the signing secrets go into their
encrypted fields and nowhere else: log lines name the tenant and what changed, never a value.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from syncapp.clients.stripe import (
    CUSTOMER_EVENT_TYPES,
    StripeAuthFailed,
    StripeClient,
    StripeError,
    StripeUnavailable,
)
from syncapp.models import STRIPE_ACCOUNT_NAME_MAX, ConnectionStatus, StripeAccess, StripeConnection, Tenant
from syncapp.said import error_facts, said

from .clients import stripe_client
from .common import Credential, CredentialRefused, mark_failing
from .selectors import stripe_account_first, stripe_account_named, stripe_accounts_for, stripe_webhook_url
from .stripe_app import stripe_app_revoke, stripe_endpoint_delete

logger = logging.getLogger(__name__)

STRIPE_KEY_PREFIXES = ("sk_test_", "sk_live_", "rk_test_", "rk_live_")
WEBHOOK_SECRET_PREFIX = "whsec_"
# How long events signed with a replaced signing secret are still accepted (Stripe's own window).
PREVIOUS_SECRET_LIFETIME = timedelta(hours=24)


@dataclass(frozen=True)
class StripeCredentials:
    """Checked Stripe credentials, ready to store."""

    api_key: str
    livemode: bool
    webhook_secret: str
    webhook_endpoint_id: str


def _check_key_shape(api_key: str) -> None:
    """Refuse what cannot be a usable key before asking Stripe about it."""
    if api_key.startswith(("pk_test_", "pk_live_")):
        raise CredentialRefused(Credential.STRIPE_API_KEY, [said("stripe_publishable_key")])
    if not api_key.startswith(STRIPE_KEY_PREFIXES):
        raise CredentialRefused(Credential.STRIPE_API_KEY, [said("stripe_not_a_key")])


def _check_secret_shape(webhook_secret: str) -> None:
    if not webhook_secret.startswith(WEBHOOK_SECRET_PREFIX):
        raise CredentialRefused(Credential.STRIPE_WEBHOOK_SECRET, [said("stripe_not_a_signing_secret")])


def _our_endpoint(gateway: StripeClient, *, url: str, known: StripeConnection | None) -> str | None:
    """The id of the endpoint we registered earlier, if this account still has it at our URL.

    A new key for the same account then keeps the endpoint (and its secret) instead of adding a
    second one that would deliver every event twice.
    """
    if known is None or not known.webhook_secret or not known.webhook_endpoint_stripe_id:
        return None
    for endpoint in gateway.list_webhook_endpoints():
        if endpoint.get("id") == known.webhook_endpoint_stripe_id and endpoint.get("url") == url:
            return endpoint["id"]
    return None


MAX_ACCOUNT_NAME = STRIPE_ACCOUNT_NAME_MAX


def stripe_account_for_connect(*, tenant: Tenant, name: str | None) -> StripeConnection:
    """The account a connect is for: the one with that name, a new one under a new name (saved
    when its key is), or the first account when no name is given."""
    name = (name or "").strip()
    if not name:
        return stripe_account_first(tenant=tenant)
    if len(name) > MAX_ACCOUNT_NAME:
        raise CredentialRefused(
            Credential.STRIPE_ACCOUNT_NAME, [said("stripe_account_name_too_long", max=MAX_ACCOUNT_NAME)]
        )
    return stripe_account_named(tenant=tenant, name=name) or StripeConnection(tenant=tenant, name=name)


def stripe_prepare(
    *, account: StripeConnection, api_key: str | None = None, webhook_secret: str | None = None
) -> StripeCredentials:
    """Check a key for one of the tenant's accounts (and register our webhook endpoint for it
    unless a `whsec_` secret is given).

    Stores nothing. Raises CredentialRefused with a merchant's message.
    """
    api_key, webhook_secret = (api_key or "").strip(), (webhook_secret or "").strip()
    known = account if account.pk else None
    if webhook_secret:
        _check_secret_shape(webhook_secret)
    if not api_key:
        if known is None or not known.api_key:
            raise CredentialRefused(Credential.STRIPE_API_KEY, [said("stripe_paste_key")])
        if not webhook_secret:
            raise CredentialRefused(Credential.STRIPE_API_KEY, [said("stripe_paste_key_or_secret")])
        # Only the signing secret changes: the stored key stays as it was.
        return StripeCredentials(known.api_key, bool(known.livemode), webhook_secret, "")
    _check_key_shape(api_key)
    gateway = stripe_client(api_key)
    try:
        gateway.verify()
        if webhook_secret:
            return StripeCredentials(api_key, gateway.livemode, webhook_secret, "")
        url = stripe_webhook_url(account)
        kept = _our_endpoint(gateway, url=url, known=known)
        if kept:
            return StripeCredentials(api_key, gateway.livemode, known.webhook_secret, kept)
        endpoint = gateway.create_webhook_endpoint(url=url, events=list(CUSTOMER_EVENT_TYPES))
        return StripeCredentials(api_key, gateway.livemode, endpoint["secret"], endpoint["id"])
    except StripeAuthFailed as exc:
        raise CredentialRefused(
            Credential.STRIPE_API_KEY, [*error_facts(exc), said("check_nothing_saved")]
        ) from exc
    except StripeUnavailable as exc:
        raise CredentialRefused(Credential.STRIPE_API_KEY, [said("stripe_check_unreachable")]) from exc
    except StripeError as exc:
        raise CredentialRefused(
            Credential.STRIPE_API_KEY, [said("stripe_check_refused", detail=exc.message)]
        ) from exc
    finally:
        gateway.close()


def stripe_store(*, account: StripeConnection, credentials: StripeCredentials) -> StripeConnection:
    """Store credentials as they are: checked by `stripe_prepare`, or the sandbox's own seed."""
    tenant = account.tenant
    with transaction.atomic():
        if account.pk:
            connection = StripeConnection.objects.for_tenant(tenant).select_for_update().get(pk=account.pk)
        else:
            connection = account
        replaced = (connection.api_key, connection.webhook_endpoint_stripe_id)
        if connection.webhook_secret and connection.webhook_secret != credentials.webhook_secret:
            # Events already signed with the old secret may still be in flight or retried.
            connection.previous_webhook_secret = connection.webhook_secret
            connection.previous_webhook_secret_until = timezone.now() + PREVIOUS_SECRET_LIFETIME
        connection.api_key = credentials.api_key
        # A pasted key replaces our app's access, if it had it (its grant is left to the merchant).
        connection.access, connection.account_id = StripeAccess.API_KEY, ""
        connection.access_token = connection.refresh_token = ""
        connection.access_token_expires_at = None
        connection.livemode = credentials.livemode
        connection.webhook_secret = credentials.webhook_secret
        connection.webhook_endpoint_stripe_id = credentials.webhook_endpoint_id
        connection.status = ConnectionStatus.CONNECTED
        connection.last_error, connection.error_facts = "", []
        connection.verified_at = timezone.now()
        connection.save()
    old_key, old_endpoint = replaced
    if old_endpoint and credentials.webhook_endpoint_id and old_endpoint != credentials.webhook_endpoint_id:
        # A new endpoint replaces ours: the old one would deliver every event a second time.
        stripe_endpoint_delete(tenant, api_key=old_key, endpoint_id=old_endpoint)
    logger.info(
        "Tenant %s: Stripe account %s verified and stored (livemode=%s, webhook endpoint %s)",
        tenant.slug,
        connection.pk,
        credentials.livemode,
        credentials.webhook_endpoint_id or "entered by the merchant",
    )
    return connection


def stripe_connect(
    *,
    tenant: Tenant,
    name: str | None = None,
    api_key: str | None = None,
    webhook_secret: str | None = None,
) -> StripeConnection:
    """Verify the key, register our webhook endpoint (unless a `whsec_` is given), then store.

    `name` picks the account: a new name adds one; none means the tenant's first account.
    """
    account = stripe_account_for_connect(tenant=tenant, name=name)
    credentials = stripe_prepare(account=account, api_key=api_key, webhook_secret=webhook_secret)
    return stripe_store(account=account, credentials=credentials)


def stripe_disconnect_all(*, tenant: Tenant) -> bool:
    """Every account of the tenant disconnected (closing the account); False if an endpoint stayed."""
    results = [stripe_disconnect(account=account) for account in stripe_accounts_for(tenant=tenant)]
    return all(results)


def stripe_disconnect(*, account: StripeConnection) -> bool:
    """Forget the key and secrets, and delete the webhook endpoint we registered (so Stripe stops
    sending events nobody can verify); for an app-connected account, revoke our grant at Stripe
    and forget its tokens. Returns False when Stripe could not be told.
    The account keeps its name and its history; connecting it again resumes it."""
    tenant = account.tenant
    endpoint_removed = True
    if account.via_stripe_app and account.refresh_token:
        endpoint_removed = stripe_app_revoke(account=account)
    elif account.api_key and account.webhook_endpoint_stripe_id:
        endpoint_removed = stripe_endpoint_delete(
            tenant, api_key=account.api_key, endpoint_id=account.webhook_endpoint_stripe_id
        )
    StripeConnection.objects.for_tenant(tenant).filter(pk=account.pk).update(
        api_key="",
        webhook_secret="",
        previous_webhook_secret="",
        previous_webhook_secret_until=None,
        webhook_endpoint_stripe_id="",
        access_token="",
        refresh_token="",
        access_token_expires_at=None,
        livemode=None,
        status=ConnectionStatus.NOT_CONNECTED,
        last_error="",
        error_facts=[],
        verified_at=None,
    )
    logger.info("Tenant %s disconnected Stripe account %s", tenant.slug, account.pk)
    return endpoint_removed


def stripe_check(*, connection: StripeConnection) -> StripeConnection:
    """Try the stored key again; a refusal marks the connection failing with the reason."""
    if not connection.api_key:
        return connection
    gateway = stripe_client(connection.api_key)
    try:
        gateway.verify()
    except StripeError as exc:
        mark_failing(connection, error_facts(exc))
        return connection
    finally:
        gateway.close()
    connection.status, connection.last_error, connection.error_facts, connection.verified_at = (
        ConnectionStatus.CONNECTED,
        "",
        [],
        timezone.now(),
    )
    connection.save(update_fields=["status", "last_error", "error_facts", "verified_at"])
    return connection
