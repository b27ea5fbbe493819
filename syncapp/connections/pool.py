"""Warm API clients: a small pool per worker thread, so syncs reuse kept-alive connections.

Opening clients for every sync paid a TCP (and, in production, TLS) handshake to Stripe and to
e-conomic each time. A worker thread keeps its clients here instead, as Stripe's and requests'
own guidance says, one per tenant's connection and credential version: the version is a digest of
the credential and of the settings the client is built from, so a re-keyed, refreshed or
reconnected credential is never served by a stale client. A client is dropped when a call through
it is refused (401/403) or gets no answer, and the least recently used one when the pool is full.

Per thread, not per process: a requests session is not meant to be shared between threads (the
Celery threads pool runs several syncs at once in one process). Callers never close these clients.
"""

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from django.conf import settings

from syncapp.clients.economic import EconomicClient
from syncapp.clients.stripe import StripeClient
from syncapp.metrics import api_call_observed
from syncapp.models import StripeConnection, Tenant

from .clients import (
    economic_client,
    economic_client_for,
    stripe_app_client,
    stripe_client,
    stripe_client_for,
)
from .common import Service
from .selectors import agreement_key, connection_for
from .stripe_platform import stripe_access_token

# Clients kept per thread: a worker thread serves few tenants at a time, and each costs a socket.
POOL_SIZE = 16
# Statuses after which a pooled client is not used again: a refused credential, no answer at all.
_DROPPED_ON = (None, 401, 403)
_local = threading.local()


def _entries() -> "OrderedDict[tuple, tuple[str, Any]]":
    entries = getattr(_local, "entries", None)
    if entries is None:
        entries = _local.entries = OrderedDict()
    return entries


def _version(*parts: Any) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _pooled(slot: tuple, version: str, build: Callable[[Callable], Any]) -> Any:
    entries = _entries()
    held = entries.get(slot)
    if held is not None and held[0] == version:
        entries.move_to_end(slot)
        return held[1]
    if held is not None:
        held[1].close()  # the credential changed: its connections belong to the old one

    def observed(service: str, method: str, status: int | None) -> None:
        api_call_observed(service, method, status)
        if status in _DROPPED_ON:
            pool_drop(slot)

    client = build(observed)
    entries[slot] = (version, client)
    while len(entries) > POOL_SIZE:
        _, (_, oldest) = entries.popitem(last=False)
        oldest.close()
    return client


def pool_drop(slot: tuple) -> None:
    """Forget a client (its next user builds a new one); its sockets close when it is collected,
    since the call that dropped it may still be reading its answer."""
    _entries().pop(slot, None)


def pool_clear() -> None:
    """Close every client this thread holds (tests; a worker thread that is ending)."""
    entries = _entries()
    while entries:
        _, (_, client) = entries.popitem()
        client.close()


def pooled_economic_client_for(tenant: Tenant) -> EconomicClient:
    """The tenant's e-conomic client, kept open across syncs in this thread."""
    connection = connection_for(tenant=tenant, service=Service.ECONOMIC)
    if connection is None or not connection.grant_token:
        return economic_client_for(tenant)  # raises NotConnected with the merchant's wording
    token, rate_key = connection.grant_token, agreement_key(connection, tenant)
    version = _version(
        token,
        rate_key,
        settings.ECONOMIC_API_URL,
        settings.ECONOMIC_APP_SECRET_TOKEN,
        settings.ECONOMIC_TIMEOUT_SECONDS,
        settings.ECONOMIC_RATE_PER_SECOND,
        settings.ECONOMIC_RATE_BURST,
        settings.ECONOMIC_DAILY_BUDGET,
        settings.ECONOMIC_BUDGET_WINDOW_SECONDS,
        settings.ECONOMIC_BUDGET_BACKGROUND_SHARE,
    )
    return _pooled(
        (Service.ECONOMIC, tenant.pk),
        version,
        lambda observed: economic_client(token, rate_key=rate_key, on_response=observed),
    )


def pooled_stripe_client_for(account: StripeConnection | None) -> StripeClient:
    """A client for one Stripe account, kept open across syncs in this thread; an app-connected
    account's token is refreshed first when due (a new token is a new version)."""
    if account is not None and account.via_stripe_app:
        api_key = stripe_access_token(account=account)

        def build(observed: Callable) -> StripeClient:
            return stripe_app_client(account, api_key, on_response=observed)
    elif account is None or not account.api_key:
        return stripe_client_for(account)  # raises NotConnected with the merchant's wording
    else:
        api_key = account.api_key

        def build(observed: Callable) -> StripeClient:
            return stripe_client(api_key, on_response=observed)

    version = _version(
        api_key,
        account.account_id,
        settings.STRIPE_API_BASE,
        settings.STRIPE_TIMEOUT_SECONDS,
        settings.STRIPE_MAX_NETWORK_RETRIES,
    )
    return _pooled((Service.STRIPE, account.tenant_id, account.pk), version, build)
