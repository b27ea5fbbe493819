"""Connecting a merchant's Stripe account and e-conomic agreement: verify first, then store.

Every credential is checked against its API before anything is saved, so a refused one leaves the
tenant exactly as it was. Secrets go into encrypted fields and nowhere else: not into messages,
not into logs (log lines name the tenant and what changed, never a value).
"""

import logging
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from .clients.economic import EconomicAuthFailed, EconomicError, EconomicUnavailable
from .clients.stripe import (
    CUSTOMER_EVENT_TYPES,
    StripeAuthFailed,
    StripeClient,
    StripeError,
    StripeUnavailable,
    is_live_key,
)
from .connections import economic_client, stripe_client
from .models import ConnectionStatus, EconomicConnection, StripeConnection, Tenant

logger = logging.getLogger(__name__)

STRIPE_KEY_PREFIXES = ("sk_test_", "sk_live_", "rk_test_", "rk_live_")
WEBHOOK_SECRET_PREFIX = "whsec_"


class CredentialRefused(Exception):
    """A credential failed its check; nothing was stored. `credential` says which one:
    `economic_grant_token`, `stripe_api_key` or `stripe_webhook_secret`."""

    def __init__(self, credential: str, message: str):
        super().__init__(message)
        self.credential = credential
        self.message = message


# --- reads ---------------------------------------------------------------------------------


def economic_connection_for(*, tenant: Tenant) -> EconomicConnection | None:
    return EconomicConnection.objects.for_tenant(tenant).first()


def stripe_connection_for(*, tenant: Tenant) -> StripeConnection | None:
    return StripeConnection.objects.for_tenant(tenant).first()


def stripe_webhook_url(tenant: Tenant) -> str:
    return settings.SITE_URL + tenant.webhook_path


# --- e-conomic -----------------------------------------------------------------------------


def economic_grant_url(*, tenant: Tenant, state: str) -> str:
    """e-conomic's grant page, sending the merchant back to our callback with `state` in its path.

    The state sits in the path rather than the query, so the callback URL stays intact however
    e-conomic appends its `?token=`.
    """
    callback = reverse("economic_callback", kwargs={"slug": tenant.slug, "state": state})
    query = urlencode(
        {"appPublicToken": settings.ECONOMIC_APP_PUBLIC_TOKEN, "redirectUrl": settings.SITE_URL + callback}
    )
    return f"{settings.ECONOMIC_GRANT_URL}?{query}"


def economic_verify(*, tenant: Tenant, grant_token: str) -> dict:
    """`GET /self` with the grant; its answer, or CredentialRefused with a merchant's message."""
    grant_token = grant_token.strip()
    if not grant_token:
        raise CredentialRefused("economic_grant_token", "e-conomic sent no access grant: connect again.")
    client = economic_client(grant_token, rate_key=f"tenant-{tenant.pk}")
    try:
        return client.self_info()
    except EconomicAuthFailed as exc:
        raise CredentialRefused(
            "economic_grant_token",
            "e-conomic did not accept the access grant (it may have been revoked, or access was "
            "not granted to this app). Nothing was saved: connect again.",
        ) from exc
    except EconomicUnavailable as exc:
        raise CredentialRefused(
            "economic_grant_token",
            "e-conomic could not be reached to check the access grant. Nothing was saved: "
            "try again in a minute.",
        ) from exc
    except EconomicError as exc:
        raise CredentialRefused(
            "economic_grant_token", f"{exc.message} Nothing was saved: connect again."
        ) from exc
    finally:
        client.close()


def _economic_store(
    tenant: Tenant, *, grant_token: str, agreement_number: int | None, company_name: str
) -> EconomicConnection:
    connection, _ = EconomicConnection.all_tenants.update_or_create(
        tenant=tenant,
        defaults={
            "grant_token": grant_token,
            "agreement_number": agreement_number,
            "company_name": company_name[:255],
            "status": ConnectionStatus.CONNECTED,
            "last_error": "",
            "verified_at": timezone.now(),
        },
    )
    logger.info("Tenant %s: e-conomic agreement %s verified and stored", tenant.slug, agreement_number)
    return connection


def _agreement_facts(info: dict) -> dict:
    company = info.get("company") or {}
    return {"agreement_number": info.get("agreementNumber"), "company_name": company.get("name") or ""}


def economic_connect(*, tenant: Tenant, grant_token: str) -> EconomicConnection:
    """Verify the grant with `GET /self`, then store it with the agreement it opens."""
    info = economic_verify(tenant=tenant, grant_token=grant_token)
    return _economic_store(tenant, grant_token=grant_token.strip(), **_agreement_facts(info))


def economic_disconnect(*, tenant: Tenant) -> None:
    EconomicConnection.objects.for_tenant(tenant).update(
        grant_token="",
        agreement_number=None,
        company_name="",
        status=ConnectionStatus.NOT_CONNECTED,
        last_error="",
        verified_at=None,
    )
    logger.info("Tenant %s disconnected e-conomic", tenant.slug)


def economic_check(*, tenant: Tenant) -> EconomicConnection | None:
    """Try the stored grant again; a refusal marks the connection failing with the reason."""
    connection = economic_connection_for(tenant=tenant)
    if connection is None or not connection.grant_token:
        return connection
    try:
        info = economic_verify(tenant=tenant, grant_token=connection.grant_token)
    except CredentialRefused as exc:
        _mark_failing(connection, exc.message)
        return connection
    return _economic_store(tenant, grant_token=connection.grant_token, **_agreement_facts(info))


# --- Stripe --------------------------------------------------------------------------------


@dataclass
class StripeCredentials:
    """Checked Stripe credentials, ready to store."""

    api_key: str
    livemode: bool
    webhook_secret: str
    webhook_endpoint_id: str


def _check_key_shape(api_key: str) -> None:
    if api_key.startswith(("pk_test_", "pk_live_")):
        raise CredentialRefused(
            "stripe_api_key",
            "That is a publishable key (pk_…): paste a restricted key (rk_…) or a secret key (sk_…).",
        )
    if not api_key.startswith(STRIPE_KEY_PREFIXES):
        raise CredentialRefused(
            "stripe_api_key",
            "That does not look like a Stripe API key: one starts with rk_test_, rk_live_, "
            "sk_test_ or sk_live_.",
        )


def _check_secret_shape(webhook_secret: str) -> None:
    if not webhook_secret.startswith(WEBHOOK_SECRET_PREFIX):
        raise CredentialRefused(
            "stripe_webhook_secret",
            "A webhook signing secret starts with whsec_ (see the endpoint in Stripe).",
        )


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


def stripe_prepare(
    *, tenant: Tenant, api_key: str | None = None, webhook_secret: str | None = None
) -> StripeCredentials:
    """Check a key (and register our webhook endpoint unless a `whsec_` secret is given).

    Stores nothing. Raises CredentialRefused with a merchant's message.
    """
    api_key, webhook_secret = (api_key or "").strip(), (webhook_secret or "").strip()
    known = stripe_connection_for(tenant=tenant)
    if webhook_secret:
        _check_secret_shape(webhook_secret)
    if not api_key:
        if known is None or not known.api_key:
            raise CredentialRefused("stripe_api_key", "Paste your Stripe API key (rk_… or sk_…).")
        if not webhook_secret:
            raise CredentialRefused("stripe_api_key", "Paste a new API key or a webhook signing secret.")
        # Only the signing secret changes: the stored key stays as it was.
        return StripeCredentials(known.api_key, bool(known.livemode), webhook_secret, "")
    _check_key_shape(api_key)
    gateway = stripe_client(api_key)
    try:
        gateway.verify()
        if webhook_secret:
            return StripeCredentials(api_key, gateway.livemode, webhook_secret, "")
        url = stripe_webhook_url(tenant)
        kept = _our_endpoint(gateway, url=url, known=known)
        if kept:
            return StripeCredentials(api_key, gateway.livemode, known.webhook_secret, kept)
        endpoint = gateway.create_webhook_endpoint(url=url, events=list(CUSTOMER_EVENT_TYPES))
        return StripeCredentials(api_key, gateway.livemode, endpoint["secret"], endpoint["id"])
    except StripeAuthFailed as exc:
        raise CredentialRefused("stripe_api_key", f"{exc.message} Nothing was saved.") from exc
    except StripeUnavailable as exc:
        raise CredentialRefused(
            "stripe_api_key", "Stripe could not be reached to check the key. Nothing was saved: try again."
        ) from exc
    except StripeError as exc:
        raise CredentialRefused(
            "stripe_api_key", f"Stripe refused: {exc.message} Nothing was saved."
        ) from exc
    finally:
        gateway.close()


def _stripe_store(tenant: Tenant, credentials: StripeCredentials) -> StripeConnection:
    with transaction.atomic():
        connection = StripeConnection.objects.for_tenant(tenant).select_for_update().first()
        if connection is None:
            connection = StripeConnection(tenant=tenant)
        if connection.webhook_secret and connection.webhook_secret != credentials.webhook_secret:
            # Events already signed with the old secret may still be in flight or retried.
            connection.previous_webhook_secret = connection.webhook_secret
        connection.api_key = credentials.api_key
        connection.livemode = credentials.livemode
        connection.webhook_secret = credentials.webhook_secret
        connection.webhook_endpoint_stripe_id = credentials.webhook_endpoint_id
        connection.status = ConnectionStatus.CONNECTED
        connection.last_error = ""
        connection.verified_at = timezone.now()
        connection.save()
    logger.info(
        "Tenant %s: Stripe key verified and stored (livemode=%s, webhook endpoint %s)",
        tenant.slug,
        credentials.livemode,
        credentials.webhook_endpoint_id or "entered by the merchant",
    )
    return connection


def stripe_connect(
    *, tenant: Tenant, api_key: str | None = None, webhook_secret: str | None = None
) -> StripeConnection:
    """Verify the key, register our webhook endpoint (unless a `whsec_` is given), then store."""
    return _stripe_store(
        tenant, stripe_prepare(tenant=tenant, api_key=api_key, webhook_secret=webhook_secret)
    )


def stripe_disconnect(*, tenant: Tenant) -> bool:
    """Forget the key and secrets, and delete the webhook endpoint we registered (so Stripe stops
    sending events nobody can verify). Returns False when the endpoint could not be deleted."""
    connection = StripeConnection.objects.for_tenant(tenant).first()
    endpoint_removed = True
    if connection is not None and connection.api_key and connection.webhook_endpoint_stripe_id:
        gateway = stripe_client(connection.api_key)
        try:
            gateway.delete_webhook_endpoint(connection.webhook_endpoint_stripe_id)
        except StripeError:
            endpoint_removed = False
            logger.warning("Tenant %s: could not delete its Stripe webhook endpoint", tenant.slug)
        finally:
            gateway.close()
    StripeConnection.objects.for_tenant(tenant).update(
        api_key="",
        webhook_secret="",
        previous_webhook_secret="",
        webhook_endpoint_stripe_id="",
        livemode=None,
        status=ConnectionStatus.NOT_CONNECTED,
        last_error="",
        verified_at=None,
    )
    logger.info("Tenant %s disconnected Stripe", tenant.slug)
    return endpoint_removed


def stripe_check(*, tenant: Tenant) -> StripeConnection | None:
    """Try the stored key again; a refusal marks the connection failing with the reason."""
    connection = stripe_connection_for(tenant=tenant)
    if connection is None or not connection.api_key:
        return connection
    gateway = stripe_client(connection.api_key)
    try:
        gateway.verify()
    except StripeError as exc:
        _mark_failing(connection, exc.message)
        return connection
    finally:
        gateway.close()
    connection.status, connection.last_error, connection.verified_at = (
        ConnectionStatus.CONNECTED,
        "",
        timezone.now(),
    )
    connection.save(update_fields=["status", "last_error", "verified_at"])
    return connection


def connection_mark_failing(*, tenant: Tenant, service: str, message: str) -> None:
    """A sync found the credential refused: the dashboard badge turns to "failing" with the reason."""
    model = EconomicConnection if service == "economic" else StripeConnection
    connection = model.objects.for_tenant(tenant).first()
    if connection is not None and (connection.status, connection.last_error) != (
        ConnectionStatus.FAILING,
        message,
    ):
        _mark_failing(connection, message)


def _mark_failing(connection: EconomicConnection | StripeConnection, message: str) -> None:
    connection.status, connection.last_error = ConnectionStatus.FAILING, message
    connection.save(update_fields=["status", "last_error"])
    logger.warning("Tenant %s: %s connection failing", connection.tenant.slug, type(connection).__name__)


# --- both at once --------------------------------------------------------------------------


def tenant_connect(
    *,
    tenant: Tenant,
    economic_grant_token: str | None = None,
    stripe_api_key: str | None = None,
    stripe_webhook_secret: str | None = None,
) -> dict:
    """Check every credential given, then store them all, or none if one is refused.

    e-conomic is checked first because its check has no side effect; the Stripe check may
    register a webhook endpoint, which is only worth doing once the rest is known to be good.
    """
    economic_facts = None
    if economic_grant_token is not None:
        economic_facts = _agreement_facts(economic_verify(tenant=tenant, grant_token=economic_grant_token))
    stripe_credentials = None
    if stripe_api_key is not None or stripe_webhook_secret is not None:
        stripe_credentials = stripe_prepare(
            tenant=tenant, api_key=stripe_api_key, webhook_secret=stripe_webhook_secret
        )
    with transaction.atomic():
        if economic_facts is not None:
            _economic_store(tenant, grant_token=economic_grant_token.strip(), **economic_facts)
        if stripe_credentials is not None:
            _stripe_store(tenant, stripe_credentials)
    return connections_summary(tenant=tenant)


def connections_summary(*, tenant: Tenant) -> dict:
    """What is connected, without any secret: for the command's JSON and the dashboard."""
    economic = economic_connection_for(tenant=tenant)
    stripe = stripe_connection_for(tenant=tenant)
    return {
        "slug": tenant.slug,
        "economic": {
            "status": economic.status if economic else ConnectionStatus.NOT_CONNECTED.value,
            "agreement_number": economic.agreement_number if economic else None,
            "company_name": economic.company_name if economic else "",
        },
        "stripe": {
            "status": stripe.status if stripe else ConnectionStatus.NOT_CONNECTED.value,
            "livemode": stripe.livemode if stripe else None,
            "webhook_endpoint_id": stripe.webhook_endpoint_stripe_id if stripe else "",
            "webhook_url": stripe_webhook_url(tenant),
        },
    }


# --- the offline demo ----------------------------------------------------------------------


def demo_connections_store(
    *,
    tenant: Tenant,
    economic_grant_token: str,
    agreement_number: int,
    company_name: str,
    stripe_api_key: str,
    stripe_webhook_secret: str,
    stripe_webhook_endpoint_id: str,
) -> dict:
    """For `make run` only: store sandbox credentials WITHOUT checking them over HTTP.

    `demo_setup` runs before the server (and so the sandbox APIs) is up; the values come straight
    from the sandbox's seed, so there is nothing to verify. Real merchants go through
    `economic_connect` / `stripe_connect`.
    """
    with transaction.atomic():
        _economic_store(
            tenant,
            grant_token=economic_grant_token,
            agreement_number=agreement_number,
            company_name=company_name,
        )
        _stripe_store(
            tenant,
            StripeCredentials(
                api_key=stripe_api_key,
                livemode=is_live_key(stripe_api_key),
                webhook_secret=stripe_webhook_secret,
                webhook_endpoint_id=stripe_webhook_endpoint_id,
            ),
        )
    return connections_summary(tenant=tenant)
