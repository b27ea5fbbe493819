"""Stripe events: stored first (webhook), processed later (task), swept when a queue lost them."""

import logging
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from syncapp.clients.stripe import CUSTOMER_EVENT_TYPES
from syncapp.models import Tenant

from ..errors import TransientSyncError
from ..locks import customer_lock
from ..models import StripeEvent, SyncRecord
from ..queue import enqueue_event, requeue_events
from .sync import customer_sync, sync_record_failed
from .write_back import is_own_echo

logger = logging.getLogger(__name__)
Status = StripeEvent.Status


def event_store(*, tenant: Tenant, event: dict) -> tuple[StripeEvent, bool]:
    """Store a verified Stripe event once; enqueue it after commit. Returns (event, stored_now).

    The only work on the webhook's path: one insert. A redelivered event id is a no-op.
    """
    synced = event.get("type") in CUSTOMER_EVENT_TYPES
    data_object = (event.get("data") or {}).get("object") or {}
    try:
        with transaction.atomic():
            stored = StripeEvent.objects.for_tenant(tenant).create(
                stripe_event_id=event["id"],
                type=event.get("type", ""),
                stripe_created=datetime.fromtimestamp(int(event.get("created", 0)), tz=UTC),
                livemode=bool(event.get("livemode")),
                account=event.get("account") or "",
                stripe_customer_id=data_object.get("id", "") if synced else "",
                stripe_email=event_email(event),
                payload=event,
                status=Status.PENDING if synced else Status.IGNORED,
                last_error="" if synced else "Not a customer.created/updated/deleted event.",
            )
            if synced:
                enqueue_event(stored.pk)
    except IntegrityError:
        return StripeEvent.objects.for_tenant(tenant).get(stripe_event_id=event["id"]), False
    return stored, True


def event_email(event: dict) -> str:
    """The e-mail of the object an event carries (`data.object.email`), or ""."""
    data_object = (event.get("data") or {}).get("object") or {}
    email = data_object.get("email") if isinstance(data_object, dict) else None
    return email.strip()[:255] if isinstance(email, str) else ""


def event_process(*, event_id: int) -> SyncRecord | None:
    """Process one stored event: sync its customer, unless it is done or is our own echo."""
    # The task carries only the id; the event's tenant scopes everything after this lookup.
    event = StripeEvent.all_tenants.select_related("tenant").get(pk=event_id)
    # Held from the status check to the record; `customer_sync` finds it held (re-entrant).
    with customer_lock(tenant_id=event.tenant_id, stripe_customer_id=event.stripe_customer_id):
        event.refresh_from_db()
        if event.status not in (Status.PENDING, Status.FAILED):
            return None
        if is_own_echo(event):
            _finish(event, Status.IGNORED, "The echo of our own write-back of the e-conomic number.")
            return None
        StripeEvent.all_tenants.filter(pk=event.pk).update(attempts=event.attempts + 1)
        try:
            record = customer_sync(
                tenant=event.tenant, stripe_customer_id=event.stripe_customer_id, event=event
            )
        except TransientSyncError as exc:
            # Still pending: support sees why in the admin while the task waits to retry.
            StripeEvent.all_tenants.filter(pk=event.pk).update(last_error=exc.message)
            raise
        if record.action == SyncRecord.Action.FAILED:
            _finish(event, Status.FAILED, record.message)
        else:
            _finish(event, Status.PROCESSED, "")
        return record


def _finish(event: StripeEvent, status: str, error: str) -> None:
    event.status, event.last_error, event.processed_at = status, error, timezone.now()
    event.save(update_fields=["status", "last_error", "processed_at"])


def event_give_up(*, event_id: int, reason: str) -> SyncRecord:
    """After the last retry: mark the event failed and explain it in the sync log."""
    event = StripeEvent.all_tenants.select_related("tenant").get(pk=event_id)
    _finish(event, Status.FAILED, reason)
    return sync_record_failed(
        tenant=event.tenant,
        stripe_customer_id=event.stripe_customer_id,
        reason=reason,
        attempts=event.attempts,
        event=event,
    )


def event_replay(*, tenant: Tenant, event_id: int) -> StripeEvent:
    """Support/merchant action: process a stored event again (e.g. after fixing the settings)."""
    event = StripeEvent.objects.for_tenant(tenant).get(pk=event_id)
    if event.type not in CUSTOMER_EVENT_TYPES:
        return event
    event.status, event.last_error = Status.PENDING, ""
    event.save(update_fields=["status", "last_error"])
    enqueue_event(event.pk)
    return event


def events_sweep(*, older_than: timedelta = timedelta(minutes=2)) -> int:
    """Re-enqueue pending events a broker restart may have lost. Processing is idempotent."""
    # Spans all tenants on purpose: the sweeper serves every merchant.
    stale = list(
        StripeEvent.all_tenants.filter(status=Status.PENDING, received__lt=timezone.now() - older_than)
        .order_by("received")
        .values_list("pk", flat=True)[:1000]
    )
    requeue_events(stale)
    if stale:
        logger.info("Re-enqueued %d pending events", len(stale))
    return len(stale)
