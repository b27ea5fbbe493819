"""Stripe events: stored first (webhook), processed later (task) on the schedule in PostgreSQL."""

import logging
from datetime import UTC, datetime

from django.db.models import F, OuterRef
from django.utils import timezone

from mappings.selectors import settings_document_of
from syncapp.clients.stripe import CUSTOMER_EVENT_TYPES
from syncapp.models import StripeConnection, Tenant
from syncapp.rows import insert

from ..errors import TransientSyncError, Trouble
from ..explanations import Fact, fact, in_english
from ..locks import customer_lock
from ..models import StripeEvent, SyncRecord
from ..queue import enqueue_event
from .pauses import NO_PAUSES, pause_note_success, pause_note_trouble, pauses_on_record, tenant_pauses
from .review_queue import review_open
from .schedule import (
    event_claim,
    event_error,
    event_release,
    event_retry_later,
    event_wait_for_pause,
    lease_until,
    new_lease_token,
    retry_delay,
    window_exhausted,
)
from .sync import customer_sync, sync_record_failed
from .write_back import is_own_echo

logger = logging.getLogger(__name__)
Status = StripeEvent.Status


def event_store(*, tenant: Tenant, stripe_account: StripeConnection, event: dict) -> tuple[StripeEvent, bool]:
    """Store a verified Stripe event of one of the tenant's Stripe accounts once; enqueue it after
    commit. Returns (event, stored_now).

    The only work on the webhook's path: one insert, its own commit outside a transaction. A
    redelivered event id is a no-op: the insert skips a row whose (tenant, event id) is taken,
    without an error, so it needs no transaction or savepoint of its own. The event is stored
    leased to the message about to be sent, so the sweeper does not send it twice; if the send
    fails (broker down) the lease runs out and the sweeper sends it.
    """
    synced = event.get("type") in CUSTOMER_EVENT_TYPES
    data_object = (event.get("data") or {}).get("object") or {}
    token = new_lease_token() if synced else ""
    # Written by syncapp/rows.py: the ORM's create() was a third of the webhook's CPU.
    stored = insert(
        StripeEvent,
        unless_taken=("tenant", "stripe_event_id"),
        tenant=tenant,
        stripe_account=stripe_account,
        stripe_event_id=event["id"],
        type=event.get("type", ""),
        stripe_created=datetime.fromtimestamp(int(event.get("created", 0)), tz=UTC),
        livemode=bool(event.get("livemode")),
        account=event.get("account") or "",
        stripe_customer_id=data_object.get("id", "") if synced else "",
        stripe_email=event_email(event),
        payload=event,
        status=Status.PENDING if synced else Status.IGNORED,
        **event_error([] if synced else [fact("not_customer_event")]),
        leased_by=token,
        leased_until=lease_until() if synced else None,
    )
    if stored is None:
        return StripeEvent.objects.for_tenant(tenant).get(stripe_event_id=event["id"]), False
    if synced:
        enqueue_event(stored.pk, token, tenant.pk, stored.stripe_customer_id)
    return stored, True


def event_email(event: dict) -> str:
    """The e-mail of the object an event carries (`data.object.email`), or ""."""
    data_object = (event.get("data") or {}).get("object") or {}
    email = data_object.get("email") if isinstance(data_object, dict) else None
    return email.strip()[:255] if isinstance(email, str) else ""


def event_process(
    *, event_id: int, token: str = "", tenant_id: int | None = None, stripe_customer_id: str = ""
) -> SyncRecord | None:
    """Process one stored event, if it is pending, due and ours to take; None when not synced.

    The task's message carries the key of the customer's lock (tenant and Stripe customer) with
    the event's id; without it (a message sent before it did, or a caller that knows only the id)
    the key is read first. The event itself is read once, with the lock held.

    A failure that can pass is not raised: the event's next attempt is scheduled in the database
    (or it waits for its paused service, or it gives up after the retry window).
    """
    token = token or new_lease_token()
    if not event_claim(event_id=event_id, token=token):
        return None
    if tenant_id is None:
        tenant_id, stripe_customer_id = (
            StripeEvent.all_tenants.filter(pk=event_id).values_list("tenant_id", "stripe_customer_id").get()
        )
    try:
        # Held from the status check to the record; `customer_sync` finds it held (re-entrant).
        with customer_lock(tenant_id=tenant_id, stripe_customer_id=stripe_customer_id):
            # Each way out gives the lease back in the statement that writes its outcome.
            return _process_claimed(event_id, token)
    except BaseException:
        event_release(event_id=event_id, token=token)
        raise


def _process_claimed(event_id: int, token: str) -> SyncRecord | None:
    # Read now that the customer's lock is held (an earlier holder may have processed it); the
    # event's tenant scopes everything after this. Its `attempts` already counts this one (the
    # claim did).
    event = _event_to_process(event_id)
    if event.status != Status.PENDING:
        event_release(event_id=event_id, token=token, attempts=F("attempts") - 1)
        return None
    if is_own_echo(event):
        _finish(event, Status.IGNORED, [fact("own_echo")], attempts=event.attempts - 1)
        return None
    pauses = tenant_pauses(tenant=event.tenant) if event.pauses_on_record else NO_PAUSES
    if pauses.active is not None:
        event_wait_for_pause(event=event, token=token, until=pauses.active.until, error=pauses.active.why)
        return None
    try:
        record = customer_sync(
            tenant=event.tenant,
            stripe_customer_id=event.stripe_customer_id,
            stripe_account=event.stripe_account,
            event=event,
            pause_on_refusal=True,
            settings_document=event.settings_document,
            review_open=event.review_open,
        )
    except TransientSyncError as exc:
        _after_failure(event, token, exc)
        return None
    except Exception as exc:  # a bug must not re-run every minute: it waits its turn like the rest
        logger.exception("Event %s raised an unexpected error", event.pk)
        said = [fact("unexpected_error", error=type(exc).__name__)]
        error = TransientSyncError(said, trouble=Trouble.UNEXPECTED)
        _after_failure(event, token, error)
        return None
    if pauses.failures_counted:
        pause_note_success(tenant=event.tenant)
    failed = record.action == SyncRecord.Action.FAILED
    _finish(event, Status.FAILED if failed else Status.PROCESSED, record.facts if failed else [])
    return record


def _event_to_process(event_id: int) -> StripeEvent:
    """The event with its tenant and account, and what its sync reads first, in one query: the
    tenant's settings document, whether the tenant has a pause or failures on record, whether the
    customer has an open review item. (Each was a query of its own on every sync.)"""
    tenant = OuterRef("tenant")
    return (
        StripeEvent.all_tenants.select_related("tenant", "stripe_account")
        .annotate(
            settings_document=settings_document_of(tenant),
            pauses_on_record=pauses_on_record(tenant),
            review_open=review_open(tenant, OuterRef("stripe_customer_id")),
        )
        .get(pk=event_id)
    )


def _after_failure(event: StripeEvent, token: str, error: TransientSyncError) -> None:
    pause = pause_note_trouble(tenant=event.tenant, error=error)
    if pause is not None and pause.active:
        # The service is paused: this attempt is not counted against the event.
        event_wait_for_pause(event=event, token=token, until=pause.until, error=error.facts)
        return
    if window_exhausted(event):
        event_give_up(event_id=event.pk, reason=error.facts)
        return
    event_retry_later(
        event=event, token=token, seconds=retry_delay(event.attempts, error.retry_after), error=error.facts
    )


def _finish(event: StripeEvent, status: str, error: list[Fact], **fields: object) -> None:
    """The event's final status; its lease goes with it (a final event is never claimed again,
    so clearing a lease another worker took over only ends that worker's wait sooner)."""
    event.status, event.processed_at = status, timezone.now()
    event.last_error, event.error_facts = in_english(error), error
    event.leased_by, event.leased_until = "", None
    for name, value in fields.items():
        setattr(event, name, value)
    event.save(
        update_fields=[
            "status",
            "last_error",
            "error_facts",
            "processed_at",
            "leased_by",
            "leased_until",
            *fields,
        ]
    )


def event_give_up(*, event_id: int, reason: list[Fact]) -> SyncRecord:
    """After the retry window: mark the event failed and explain it, once, in the sync log."""
    event = StripeEvent.all_tenants.select_related("tenant").get(pk=event_id)
    _finish(event, Status.FAILED, reason)
    return sync_record_failed(
        tenant=event.tenant,
        stripe_customer_id=event.stripe_customer_id,
        stripe_account=event.stripe_account,
        reason=reason,
        attempts=event.attempts,
        event=event,
    )


def event_replay(*, tenant: Tenant, event_id: int) -> StripeEvent:
    """Support/merchant action: process a stored event again (e.g. after fixing the settings)."""
    event = StripeEvent.objects.for_tenant(tenant).get(pk=event_id)
    if event.type not in CUSTOMER_EVENT_TYPES:
        return event
    event.status, event.last_error, event.error_facts = Status.PENDING, "", []
    event.next_attempt_at, event.retrying_since = timezone.now(), None
    event.leased_by, event.leased_until = "", None
    event.save(
        update_fields=[
            "status",
            "last_error",
            "error_facts",
            "next_attempt_at",
            "retrying_since",
            "leased_by",
            "leased_until",
        ]
    )
    enqueue_event(event.pk, "", event.tenant_id, event.stripe_customer_id)
    return event
