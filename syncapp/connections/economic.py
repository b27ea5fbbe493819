"""Connecting a merchant's e-conomic agreement: verify the grant first, then store it.

A refused grant leaves the tenant exactly as it was. The grant token goes into its encrypted field
and nowhere else: log lines name the tenant and the agreement, never the token.
"""

import logging
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from syncapp.clients.economic import EconomicAuthFailed, EconomicError, EconomicUnavailable
from syncapp.models import ConnectionStatus, EconomicConnection, Tenant
from syncapp.said import error_facts, said

from .clients import economic_client
from .common import Credential, CredentialRefused, Service, mark_failing
from .selectors import connection_for

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EconomicCredentials:
    """A checked grant and the agreement it opens, ready to store."""

    grant_token: str
    agreement_number: int | None
    company_name: str


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
        raise CredentialRefused(Credential.ECONOMIC_GRANT_TOKEN, [said("economic_no_grant")])
    client = economic_client(grant_token, rate_key=f"tenant-{tenant.pk}")
    try:
        return client.self_info()
    except EconomicAuthFailed as exc:
        raise CredentialRefused(Credential.ECONOMIC_GRANT_TOKEN, [said("economic_grant_refused")]) from exc
    except EconomicUnavailable as exc:
        raise CredentialRefused(
            Credential.ECONOMIC_GRANT_TOKEN, [said("economic_check_unreachable")]
        ) from exc
    except EconomicError as exc:
        raise CredentialRefused(
            Credential.ECONOMIC_GRANT_TOKEN, [*error_facts(exc), said("check_nothing_saved_connect_again")]
        ) from exc
    finally:
        client.close()


def economic_prepare(*, tenant: Tenant, grant_token: str) -> EconomicCredentials:
    """Check a grant and learn its agreement. Stores nothing; raises CredentialRefused."""
    info = economic_verify(tenant=tenant, grant_token=grant_token)
    company = info.get("company") or {}
    return EconomicCredentials(
        grant_token=grant_token.strip(),
        agreement_number=info.get("agreementNumber"),
        company_name=company.get("name") or "",
    )


def economic_store(*, tenant: Tenant, credentials: EconomicCredentials) -> EconomicConnection:
    """Store credentials as they are: checked by `economic_prepare`, or the sandbox's own seed."""
    connection, _ = EconomicConnection.all_tenants.update_or_create(
        tenant=tenant,
        defaults={
            "grant_token": credentials.grant_token,
            "agreement_number": credentials.agreement_number,
            "company_name": credentials.company_name[:255],
            "status": ConnectionStatus.CONNECTED,
            "last_error": "",
            "error_facts": [],
            "verified_at": timezone.now(),
        },
    )
    logger.info(
        "Tenant %s: e-conomic agreement %s verified and stored", tenant.slug, credentials.agreement_number
    )
    return connection


def economic_connect(*, tenant: Tenant, grant_token: str) -> EconomicConnection:
    """Verify the grant with `GET /self`, then store it with the agreement it opens."""
    return economic_store(tenant=tenant, credentials=economic_prepare(tenant=tenant, grant_token=grant_token))


def economic_disconnect(*, tenant: Tenant) -> None:
    EconomicConnection.objects.for_tenant(tenant).update(
        grant_token="",
        agreement_number=None,
        company_name="",
        status=ConnectionStatus.NOT_CONNECTED,
        last_error="",
        error_facts=[],
        verified_at=None,
    )
    logger.info("Tenant %s disconnected e-conomic", tenant.slug)


def economic_check(*, tenant: Tenant) -> EconomicConnection | None:
    """Try the stored grant again; a refusal marks the connection failing with the reason."""
    connection = connection_for(tenant=tenant, service=Service.ECONOMIC)
    if connection is None or not connection.grant_token:
        return connection
    try:
        credentials = economic_prepare(tenant=tenant, grant_token=connection.grant_token)
    except CredentialRefused as exc:
        mark_failing(connection, exc.facts)
        return connection
    return economic_store(tenant=tenant, credentials=credentials)
