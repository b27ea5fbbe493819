"""Reconciliation: the webhooks Stripe never delivered (an endpoint disabled, an outage longer
than Stripe's own retries) found in Stripe's event list and processed like any other.

Per Stripe account of each tenant, hourly (beat) and after a paused connection resumes: list
Stripe's `customer.*` events created after the last one listed before, store each through
`event_store` (a redelivery is a no-op, so events we already have cost nothing) and let the
schedule process the new ones.
The list overlaps the previous run by a second, since events of the same second may be listed
late; Stripe keeps 30 days, so a first run looks back no further than our oldest stored event.
"""

import logging
from contextlib import closing

from django.utils import timezone

from syncapp.clients.stripe import CUSTOMER_EVENT_TYPES, StripeError
from syncapp.connections.clients import NotConnected, stripe_client_for
from syncapp.connections.selectors import stripe_accounts_for
from syncapp.models import ConnectionStatus, StripeConnection, Tenant

from ..errors import merchant_facts
from ..explanations import in_english
from ..models import Reconciliation, StripeEvent
from ..queue import enqueue_reconcile
from .events import event_store

logger = logging.getLogger(__name__)


def tenant_reconcile(*, tenant: Tenant) -> int:
    """Store and process the customer events we never received, of each of the tenant's connected
    Stripe accounts; how many were healed."""
    accounts = stripe_accounts_for(tenant=tenant)
    return sum(
        account_reconcile(tenant=tenant, account=account)
        for account in accounts
        if account.status != ConnectionStatus.NOT_CONNECTED
    )


def account_reconcile(*, tenant: Tenant, account: StripeConnection) -> int:
    state, _ = Reconciliation.objects.for_tenant(tenant).get_or_create(stripe_account=account)
    since = state.cursor if state.cursor is not None else _first_cursor(tenant, account)
    healed, newest = 0, since
    try:
        with closing(stripe_client_for(account)) as stripe:
            for event in stripe.iter_events(types="customer.*", created_after=since - 1):
                newest = max(newest, int(event.get("created", 0)))
                if event.get("type") in CUSTOMER_EVENT_TYPES:
                    healed += event_store(tenant=tenant, stripe_account=account, event=event)[1]
    except (StripeError, NotConnected) as exc:
        state.ran_at, state.facts = timezone.now(), merchant_facts(exc)
        state.message = in_english(state.facts)
        state.save(update_fields=["ran_at", "facts", "message"])
        return 0
    state.cursor, state.ran_at, state.healed = newest, timezone.now(), healed
    state.healed_total += healed
    state.message, state.facts = "", []
    state.save()
    if healed:
        logger.warning(
            "Tenant %s: reconciliation of Stripe account %s found %d events never delivered",
            tenant.slug,
            account.pk,
            healed,
        )
    return healed


def _first_cursor(tenant: Tenant, account: StripeConnection) -> int:
    """Where watching began: the account's oldest stored event or its connection, whichever is
    older (customers from before it are the import's business), else now."""
    events = StripeEvent.objects.for_tenant(tenant).filter(stripe_account=account)
    oldest = events.order_by("stripe_created").first()
    moments = [oldest.stripe_created if oldest else None, account.verified_at]
    return int(min((m for m in moments if m), default=timezone.now()).timestamp())


def tenants_reconcile() -> int:
    """Beat, hourly: one reconciliation task per tenant with Stripe connected."""
    connected = StripeConnection.all_tenants.exclude(status=ConnectionStatus.NOT_CONNECTED)
    tenant_ids = connected.values_list("tenant_id", flat=True).distinct()
    count = 0
    for tenant_id in tenant_ids:
        enqueue_reconcile(tenant_id)
        count += 1
    return count
