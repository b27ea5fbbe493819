"""The sync of one Stripe customer into the tenant's e-conomic agreement: the one way in.

Flow (DESIGN.md): re-fetch the customer from Stripe → deleted, linked, or matched/created
(`decisions.py`) → write the number back to Stripe (`write_back.py`) → one SyncRecord explaining
the outcome. `customer_sync` holds the customer's lock throughout, so never twice at once.
"""

import logging
import time
from dataclasses import dataclass

from django.db import DatabaseError
from django.utils import translation

from mappings.engine import plan_customer
from mappings.match_index import MatchIndex
from mappings.selectors import sync_settings_for
from syncapp.clients.economic import EconomicAuthFailed, EconomicClient
from syncapp.clients.stripe import StripeAuthFailed, StripeClient, StripeNotFound
from syncapp.connections.clients import economic_client_for, stripe_client_for
from syncapp.connections.common import Service, connection_mark_failing
from syncapp.connections.pool import pooled_economic_client_for, pooled_stripe_client_for
from syncapp.connections.selectors import stripe_accounts_for
from syncapp.models import StripeConnection, Tenant

from ..errors import (
    PERMANENT,
    REFUSED,
    TRANSIENT,
    StripeAccountUnknown,
    TransientSyncError,
    as_transient,
    merchant_facts,
)
from ..explanations import Fact, fact
from ..locks import customer_lock
from ..models import CustomerLink, StripeEvent, SyncRecord
from ..privacy.erasure import customer_erase, erasure_note
from ..privacy.retention import RemovalReason
from ..queue import enqueue_customer_sync, enqueue_economic_customer_retry
from ..telemetry import sync_recorded
from .decisions import (
    Outcome,
    Resolution,
    SyncContext,
    deleted_in_stripe,
    match_or_create,
    review_resolved,
    update_linked,
)
from .review_queue import review_item_note
from .write_back import number_write_back

Action = SyncRecord.Action
logger = logging.getLogger(__name__)


@dataclass
class SyncClients:
    """One Stripe account's client and the tenant's e-conomic client, for a caller that syncs many
    customers (an import's lane)."""

    stripe: StripeClient
    economic: EconomicClient

    def close(self) -> None:
        self.stripe.close()
        self.economic.close()


def sync_clients_for(tenant: Tenant, stripe_account: StripeConnection) -> SyncClients:
    """Clients of their own for an import's lane: work that can wait, the first to stop near
    e-conomic's daily budget."""
    stripe = stripe_client_for(stripe_account)
    try:
        return SyncClients(stripe=stripe, economic=economic_client_for(tenant, background=True))
    except Exception:
        stripe.close()
        raise


def customer_sync(
    *,
    tenant: Tenant,
    stripe_customer_id: str,
    stripe_account: StripeConnection | None = None,
    event: StripeEvent | None = None,
    dry_run: bool = False,
    match_index: MatchIndex | None = None,
    listed_customer: dict | None = None,
    resolution: Resolution | None = None,
    pause_on_refusal: bool = False,
    clients: SyncClients | None = None,
    settings_document: dict | None = None,
    review_open: bool = True,
) -> SyncRecord:
    """Sync (or, with dry_run, preview) one Stripe customer; returns the SyncRecord it wrote.

    `stripe_account` is the tenant's Stripe account the customer lives in; without it, the one its
    link names, or the tenant's only account.

    A dry run writes nothing anywhere, not even to the sync log: its record is returned unsaved.

    With `resolution` (the merchant's choice in the review queue) an unlinked customer is linked or
    created as chosen instead of running the match rules.

    Holds the customer's lock for the whole sync (a caller already holding it, as event processing
    does, keeps it). Raises TransientSyncError for failures that can pass; the caller decides when
    to retry. With `pause_on_refusal` (event processing) a refused credential is one of them too:
    the events wait for the merchant to reconnect instead of failing one by one. An import passes
    its lane's `clients` (kept open across customers); otherwise the sync opens its own.

    Event processing reads with the event what the sync would read first (under the customer's
    lock, as here): the tenant's `settings_document`, and `review_open` False when the customer has
    no open review item to close.
    """
    # What a sync stores (the English `message`, warnings, the rule's words) is written in English
    # whoever started it; readers get their own language from the record's facts.
    with (
        customer_lock(tenant_id=tenant.pk, stripe_customer_id=stripe_customer_id),
        translation.override("en"),
    ):
        started = time.monotonic()
        link = _link(tenant, stripe_customer_id)
        try:
            stripe_account = stripe_account or _account_of(tenant, link)
            ctx = _context(
                tenant,
                stripe_account,
                stripe_customer_id,
                dry_run,
                match_index,
                listed_customer,
                clients,
                settings_document,
            )
            outcome = _sync(ctx, link, event, resolution)
        except TRANSIENT as exc:
            raise as_transient(exc) from exc
        except TransientSyncError:
            raise  # waiting for another sync's create: the caller retries shortly
        except PERMANENT as exc:
            outcome = _failed(tenant, exc, stripe_account)
            if pause_on_refusal and isinstance(exc, REFUSED):
                raise as_transient(exc) from exc
        except DatabaseError:
            raise  # the database itself is away: nothing can be recorded, the task retries later
        except Exception as exc:  # a bug or an answer nobody foresaw: recorded, never left pending
            outcome = _unexpected(stripe_customer_id, exc)
        duration_ms = int((time.monotonic() - started) * 1000)
        erase = outcome.stripe_deleted and not dry_run
        if erase:
            outcome.facts.append(erasure_note(number=outcome.number))
        record = _record(
            tenant,
            stripe_customer_id,
            outcome,
            stripe_account=stripe_account,
            event=event,
            dry_run=dry_run,
            duration_ms=duration_ms,
        )
        if erase:
            reason = RemovalReason.STRIPE_DELETED
            customer_erase(tenant=tenant, stripe_customer_id=stripe_customer_id, reason=reason, note=False)
            record.refresh_from_db()
        if not dry_run and (review_open or record.action == Action.NEEDS_REVIEW):
            review_item_note(tenant=tenant, record=record, candidates=outcome.candidates)
        sync_recorded(record)
        return record


def _link(tenant: Tenant, stripe_customer_id: str) -> CustomerLink | None:
    # Its account is read only when the caller did not name one (`_account_of`): events do.
    return CustomerLink.objects.for_tenant(tenant).filter(stripe_customer_id=stripe_customer_id).first()


def _account_of(tenant: Tenant, link: CustomerLink | None) -> StripeConnection:
    """The account a customer lives in, when the caller did not say: its link's, or the only one."""
    if link is not None:
        return link.stripe_account
    accounts = stripe_accounts_for(tenant=tenant)
    if len(accounts) != 1:
        raise StripeAccountUnknown([account.name for account in accounts])
    return accounts[0]


def _context(
    tenant: Tenant,
    stripe_account: StripeConnection,
    stripe_customer_id: str,
    dry_run: bool,
    match_index: MatchIndex | None,
    listed_customer: dict | None,
    clients: SyncClients | None,
    settings_document: dict | None,
) -> SyncContext:
    settings = sync_settings_for(tenant=tenant, account=stripe_account.name, document=settings_document)
    # A caller's clients (an import lane's), or this thread's warm ones: never a handshake per sync.
    stripe = clients.stripe if clients is not None else pooled_stripe_client_for(stripe_account)
    economic = clients.economic if clients is not None else pooled_economic_client_for(tenant)
    return SyncContext(
        tenant=tenant,
        stripe_account=stripe_account,
        stripe_customer_id=stripe_customer_id,
        settings=settings,
        stripe=stripe,
        economic=economic,
        dry_run=dry_run,
        match_index=match_index,
        listed_customer=listed_customer,
    )


def _sync(
    ctx: SyncContext, link: CustomerLink | None, event: StripeEvent | None, resolution: Resolution | None
) -> Outcome:
    try:
        customer = ctx.listed_customer or ctx.stripe.retrieve_customer(ctx.stripe_customer_id)
    except StripeNotFound:
        return Outcome(Action.SKIPPED, [fact("stripe_has_none", stripe_id=ctx.stripe_customer_id)])
    if customer.get("deleted"):
        outcome = deleted_in_stripe(ctx, link)
        outcome.stripe_deleted = True
        return outcome
    plan = plan_customer(settings=ctx.settings, stripe_customer=customer)
    if link is not None and link.economic_customer_number is not None:
        outcome = update_linked(ctx, link, plan)
    elif resolution is not None:
        outcome = review_resolved(ctx, link, plan, resolution)
    else:
        outcome = match_or_create(ctx, link, plan)
    if outcome.number is not None and outcome.action != Action.FAILED and not ctx.dry_run:
        _write_number_back(ctx, customer, outcome, event)
    outcome.email = customer.get("email") or ""
    outcome.name = customer.get("name") or ""
    created = plan.create_warnings if outcome.action == Action.CREATED else ()
    outcome.warnings = [*(note.fact for note in (*plan.warnings, *created)), *outcome.warnings]
    return outcome


def _write_number_back(ctx: SyncContext, customer: dict, outcome: Outcome, event: StripeEvent | None) -> None:
    written = number_write_back(
        cause=event.stripe_event_id if event is not None else None,
        stripe=ctx.stripe,
        tenant=ctx.tenant,
        stripe_customer_id=ctx.stripe_customer_id,
        customer=customer,
        field=ctx.settings.store_number_in_stripe_field,
        number=outcome.number,
    )
    if written.note:
        outcome.facts.append(written.note)
    outcome.warnings.extend(written.warnings)


def _failed(tenant: Tenant, exc: Exception, stripe_account: StripeConnection | None) -> Outcome:
    outcome = Outcome(
        Action.FAILED,
        merchant_facts(exc),
        log_id=getattr(exc, "log_id", None) or "",
        stripe_request_id=getattr(exc, "request_id", None) or "",
    )
    if isinstance(exc, EconomicAuthFailed | StripeAuthFailed):
        if isinstance(exc, EconomicAuthFailed):
            connection_mark_failing(tenant=tenant, service=Service.ECONOMIC, facts=outcome.facts)
        else:
            connection_mark_failing(
                tenant=tenant, service=Service.STRIPE, facts=outcome.facts, connection=stripe_account
            )
    return outcome


def _unexpected(stripe_customer_id: str, exc: Exception) -> Outcome:
    # The traceback goes to the log (through the redaction filter); the merchant reads the class.
    logger.exception("Unexpected %s while syncing %s", type(exc).__name__, stripe_customer_id)
    return Outcome(Action.FAILED, [fact("unexpected", error=type(exc).__name__)])


def _record(
    tenant: Tenant,
    stripe_customer_id: str,
    outcome: Outcome,
    *,
    stripe_account: StripeConnection | None,
    event: StripeEvent | None = None,
    dry_run: bool = False,
    duration_ms: int = 0,
) -> SyncRecord:
    record = SyncRecord(
        tenant=tenant,
        stripe_account=stripe_account,
        event=event,
        stripe_customer_id=stripe_customer_id,
        stripe_email=outcome.email[:255],
        stripe_name=outcome.name[:255],
        action=outcome.action,
        economic_customer_number=outcome.number,
        message=outcome.message,
        facts=outcome.facts,
        warnings=outcome.warnings,
        payload=outcome.payload,
        economic_log_id=outcome.log_id,
        stripe_request_id=outcome.stripe_request_id,
        duration_ms=duration_ms,
        dry_run=dry_run,
        match_rule=outcome.rule,
    )
    if not dry_run:
        record.save()
    return record


def sync_record_failed(
    *,
    tenant: Tenant,
    stripe_customer_id: str,
    reason: list[Fact],
    stripe_account: StripeConnection | None = None,
    attempts: int | None = None,
    event: StripeEvent | None = None,
) -> SyncRecord:
    """A sync that kept failing in ways that can pass, given up after its last retry."""
    said = (
        fact("gave_up", count=attempts, reason=reason) if attempts else fact("gave_up_several", reason=reason)
    )
    outcome = Outcome(Action.FAILED, [said])
    record = _record(tenant, stripe_customer_id, outcome, stripe_account=stripe_account, event=event)
    sync_recorded(record, timed=False)
    return record


def sync_retry(*, tenant: Tenant, stripe_customer_id: str, stripe_account_id: int | None = None) -> None:
    """A merchant's Retry in the sync log, or support's in the admin: sync the customer again, soon."""
    enqueue_customer_sync(tenant.pk, stripe_customer_id, stripe_account_id)


def sync_record_retry(*, tenant: Tenant, record: SyncRecord) -> None:
    """The sync log's Retry of one record, in the direction it ran."""
    if record.direction == SyncRecord.Direction.TO_STRIPE and record.economic_customer_number:
        enqueue_economic_customer_retry(tenant.pk, record.economic_customer_number)
    else:
        sync_retry(
            tenant=tenant,
            stripe_customer_id=record.stripe_customer_id,
            stripe_account_id=record.stripe_account_id,
        )
