"""What operators see of the sync: one log line and the counters per sync, the event gauges.

Log lines carry ids only (tenant slug, event id, Stripe customer id, e-conomic number), never an
e-mail, a name or a message that may quote one.
"""

import logging
from collections.abc import Iterable

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from syncapp.metrics import sync_observed

from .models import StripeEvent, SyncRecord

logger = logging.getLogger("customers.sync")


def sync_recorded(record: SyncRecord, *, timed: bool = True) -> None:
    logger.info(
        "sync %s",
        record.action,
        extra={
            "tenant": record.tenant.slug,
            "event": record.event.stripe_event_id if record.event_id else None,
            "customer": record.stripe_customer_id,
            "action": record.action,
            "economic_number": record.economic_customer_number,
            "duration_ms": record.duration_ms,
            "dry_run": record.dry_run,
        },
    )
    if not record.dry_run:
        sync_observed(action=record.action, seconds=record.duration_ms / 1000 if timed else None)


def event_gauges() -> Iterable[Metric]:
    """Events waiting and failed (per status), and how long the oldest pending one has waited."""
    # Only the small statuses are counted at each scrape: processed events grow without bound.
    waiting = (StripeEvent.Status.PENDING, StripeEvent.Status.FAILED)
    by_status = GaugeMetricFamily(
        "syncapp_stripe_events", "Stored Stripe events pending or failed, by status.", labels=["status"]
    )
    counts = dict.fromkeys(waiting, 0)
    rows = StripeEvent.all_tenants.filter(status__in=waiting).values("status").annotate(n=Count("id"))
    counts.update({row["status"]: row["n"] for row in rows})
    for status, n in counts.items():
        by_status.add_metric([status], n)
    yield by_status
    oldest = StripeEvent.all_tenants.filter(status=StripeEvent.Status.PENDING).aggregate(at=Min("received"))[
        "at"
    ]
    yield GaugeMetricFamily(
        "syncapp_oldest_pending_event_age_seconds",
        "Age of the oldest Stripe event still pending (0: none).",
        value=(timezone.now() - oldest).total_seconds() if oldest else 0.0,
    )
