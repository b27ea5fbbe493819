"""The schedule of stored events, kept in PostgreSQL rather than in the broker.

A pending event is due at `next_attempt_at`. Whoever sends it takes a lease first (the queued
message's token, until `leased_until`), and the task that receives the message claims the event
with the same token before it works: a second message for the same event (the sweeper's, a
redelivery after a broker restart) finds it leased or not due and does nothing. A message lost
with the broker, or a worker killed mid-sync, only holds the event until its lease ends; then the
sweeper sends it again. A redelivered message (acks late, reject on worker lost) carries the same
token and takes its own lease back at once.
"""

import logging
import random
import time
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from ..explanations import Fact, in_english
from ..models import ConnectionPause, StripeEvent
from ..queue import requeue_events
from ..selectors import LAST_SWEEP_KEY

logger = logging.getLogger(__name__)
Status = StripeEvent.Status
SWEEP_BATCH = 500


def new_lease_token() -> str:
    return uuid.uuid4().hex


def lease_until(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) + timedelta(seconds=settings.SYNC_LEASE_SECONDS)


def retry_delay(attempts: int, retry_after: float | None) -> float:
    """Exponential backoff with full jitter, from seconds to the maximum (an hour).

    Never sooner than Retry-After, which is capped at the maximum too: a huge value must not
    park an event for days (nor, as a broker countdown did, outlive the visibility timeout).
    """
    low, high = settings.SYNC_RETRY_MIN_SECONDS, settings.SYNC_RETRY_MAX_SECONDS
    ceiling = min(high, low * 2 ** min(max(attempts, 0), 30))
    delay = max(low, random.uniform(0, ceiling))
    if retry_after:
        delay = max(delay, min(retry_after, high))
    return delay


def _unleased(now: datetime) -> Q:
    return Q(leased_until__isnull=True) | Q(leased_until__lt=now)


def event_claim(*, event_id: int, token: str) -> bool:
    """Take the event for this worker, if it is pending, due and not leased by someone else.

    The claim counts the attempt, in the same statement: a way out that turns out not to spend
    it (the event was done meanwhile, its service is paused) gives it back.
    """
    now = timezone.now()
    claimed = StripeEvent.all_tenants.filter(
        _unleased(now) | Q(leased_by=token), pk=event_id, status=Status.PENDING, next_attempt_at__lte=now
    ).update(leased_by=token, leased_until=lease_until(now), attempts=F("attempts") + 1)
    return claimed == 1


def event_release(*, event_id: int, token: str, **fields: object) -> None:
    """Give the lease back (with the schedule's new fields), unless someone took it over."""
    StripeEvent.all_tenants.filter(pk=event_id, leased_by=token).update(
        leased_by="", leased_until=None, **fields
    )


def event_retry_later(*, event: StripeEvent, token: str, seconds: float, error: list[Fact]) -> None:
    """Pending again, due in `seconds`; the attempt already counted stays counted."""
    event_release(
        event_id=event.pk,
        token=token,
        next_attempt_at=timezone.now() + timedelta(seconds=seconds),
        retrying_since=event.retrying_since or timezone.now(),
        **event_error(error),
    )


def event_wait_for_pause(
    *, event: StripeEvent, token: str, until: datetime | None, error: list[Fact]
) -> None:
    """Paused service: wait without spending an attempt (the one the claim counted is given back)."""
    resume = until or timezone.now() + timedelta(seconds=settings.SYNC_PROBE_SECONDS)
    event_release(
        event_id=event.pk,
        token=token,
        next_attempt_at=resume,
        attempts=event.attempts - 1,
        **event_error(error),
    )


def event_error(facts: list[Fact]) -> dict:
    """An event's error fields: the facts, and their English kept beside them for support."""
    return {"last_error": in_english(facts), "error_facts": facts}


def window_exhausted(event: StripeEvent) -> bool:
    started = event.retrying_since
    window = timedelta(hours=settings.SYNC_RETRY_WINDOW_HOURS)
    return started is not None and timezone.now() - started >= window


def paused_tenant() -> Exists:
    now = timezone.now()
    active = Q(reason=ConnectionPause.Reason.REFUSED) | (~Q(reason="") & Q(until__gt=now))
    return Exists(ConnectionPause.all_tenants.filter(active, tenant=OuterRef("tenant")))


def events_sweep(*, limit: int = SWEEP_BATCH) -> int:
    """Send the events that are due and unleased (beat); each gets a fresh lease first.

    Spans all tenants on purpose: the sweeper serves every merchant. Events of a paused tenant
    wait for the pause to end; an event waiting for its retry is not due, so no second chain starts.
    """
    now, token = timezone.now(), new_lease_token()
    with transaction.atomic():
        due = (
            StripeEvent.all_tenants.filter(_unleased(now), status=Status.PENDING, next_attempt_at__lte=now)
            .exclude(paused_tenant())
            .order_by("next_attempt_at")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", "tenant_id", "stripe_customer_id")[:limit]
        )
        events = list(due)
        ids = [event_id for event_id, _, _ in events]
        StripeEvent.all_tenants.filter(pk__in=ids).update(leased_by=token, leased_until=lease_until(now))
    requeue_events(events, token)
    _heartbeat()
    if ids:
        logger.info("Sent %d due events", len(ids))
    return len(ids)


def _heartbeat() -> None:
    try:
        cache.set(LAST_SWEEP_KEY, time.time(), timeout=None)
    except Exception:  # Redis down: /readyz shows the sweeper as stale, which is then true
        logger.warning("Could not record the sweeper's heartbeat")
