"""Retention: old copies of personal data purged in bounded, indexed batches (a beat task).

- Stripe events: the payload goes after `EVENT_PAYLOAD_RETENTION_DAYS` (30: as long as Stripe
  itself keeps events). The row stays (id, type, status, customer id), so a redelivery is still a
  no-op and the admin still shows the event.
- Sync records: the e-mail, the values quoted in the message and warnings, and the payload sent to
  e-conomic go after the tenant's period (`SYNC_RECORD_RETENTION_MONTHS`, 13 by default; a tenant
  may choose down to `SYNC_RECORD_RETENTION_MIN_MONTHS`). Outcome, ids, numbers and times stay.
- Dry-run reports: their rows (e-mail, name, message) are deleted after
  `DRY_RUN_REPORT_RETENTION_DAYS` (30); the run itself (counts, e-conomic numbers) stays.

Each batch is one SELECT and one UPDATE (never a query per row); rows already purged are not
selected again (partial indexes on the unpurged rows), so running it twice changes nothing.
"""

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from syncapp.models import Tenant

from ..explanations import facts_redacted
from ..models import ImportReportRow, RetentionSetting, StripeEvent, SyncRecord
from .redaction import redact_text

BATCH_SIZE = 500
MAX_BATCHES = 40  # per run and per kind: a run stays short; the next run goes on where it stopped


class RemovalReason:
    RETENTION = "retention"
    STRIPE_DELETED = "stripe_deleted"
    REQUESTED = "requested"


@dataclass(frozen=True)
class PurgeReport:
    event_payloads: int
    sync_records: int
    report_rows: int


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the month's last day if shorter)."""
    year, month0 = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, calendar.monthrange(year, month0 + 1)[1])
    return moment.replace(year=year, month=month0 + 1, day=day)


def sync_record_retention_months(*, tenant: Tenant) -> int:
    row = RetentionSetting.objects.for_tenant(tenant).first()
    return _clamped(row.sync_record_months) if row else settings.SYNC_RECORD_RETENTION_MONTHS


def retention_set(*, tenant: Tenant, months: int) -> RetentionSetting:
    """A tenant's own period for its sync log's personal data, between the minimum and the default."""
    low, high = settings.SYNC_RECORD_RETENTION_MIN_MONTHS, settings.SYNC_RECORD_RETENTION_MONTHS
    if not low <= months <= high:
        raise ValidationError(f"Choose between {low} and {high} months.")
    row, _ = RetentionSetting.objects.for_tenant(tenant).update_or_create(
        tenant=tenant, defaults={"sync_record_months": months}
    )
    return row


def personal_data_purge(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> PurgeReport:
    now = now or timezone.now()
    return PurgeReport(
        event_payloads=event_payloads_purge(now=now, batch_size=batch_size),
        sync_records=sync_records_purge(now=now, batch_size=batch_size),
        report_rows=report_rows_purge(now=now, batch_size=batch_size),
    )


def event_payloads_purge(*, now: datetime, batch_size: int = BATCH_SIZE) -> int:
    cutoff = now - timedelta(days=settings.EVENT_PAYLOAD_RETENTION_DAYS)
    # Spans all tenants on purpose; pending events keep their payload until they are processed.
    due = StripeEvent.all_tenants.filter(payload_purged_at__isnull=True, received__lt=cutoff).exclude(
        status=StripeEvent.Status.PENDING
    )
    total = 0
    for _ in range(MAX_BATCHES):
        batch = list(due.order_by("received").values_list("pk", "last_error", "error_facts")[:batch_size])
        if not batch:
            break
        events_strip(batch, now=now)
        total += len(batch)
    return total


def events_strip(
    batch: list[tuple[int, str, list]], *, now: datetime, known: set[str] | frozenset = frozenset()
):
    """Empty the payloads of (pk, last_error, error_facts) rows; errors lose the values quoted in them."""
    # The e-mail kept for support's search is a copy of the payload's: it goes with it.
    StripeEvent.all_tenants.filter(pk__in=[pk for pk, _, _ in batch]).update(
        payload={}, stripe_email="", payload_purged_at=now
    )
    errors = [
        StripeEvent(
            pk=pk,
            last_error=redact_text(error, known),
            error_facts=facts_redacted(facts, lambda text: redact_text(text, known)),
        )
        for pk, error, facts in batch
        if error or facts
    ]
    if errors:
        StripeEvent.all_tenants.bulk_update(errors, ["last_error", "error_facts"])


def sync_records_purge(*, now: datetime, batch_size: int = BATCH_SIZE) -> int:
    total = 0
    for months, tenants in _retention_groups():
        due = SyncRecord.all_tenants.filter(
            tenants, created__lt=months_before(now, months), personal_data_removed_at__isnull=True
        )
        for _ in range(MAX_BATCHES):
            batch = list(due.order_by("created").values("pk", "message", "facts", "warnings")[:batch_size])
            if not batch:
                break
            records_strip(batch, now=now, reason=RemovalReason.RETENTION)
            total += len(batch)
    return total


def report_rows_purge(*, now: datetime, batch_size: int = BATCH_SIZE) -> int:
    cutoff = now - timedelta(days=settings.DRY_RUN_REPORT_RETENTION_DAYS)
    due = ImportReportRow.all_tenants.filter(run__created__lt=cutoff)
    total = 0
    for _ in range(MAX_BATCHES):
        batch = list(due.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not batch:
            break
        ImportReportRow.all_tenants.filter(pk__in=batch).delete()
        total += len(batch)
    return total


def records_strip(
    batch: list[dict], *, now: datetime, reason: str, known: set[str] | frozenset = frozenset()
):
    """Drop the copied personal data of sync records (dicts of pk, message, facts, warnings): one
    UPDATE."""
    rows = [
        SyncRecord(
            pk=row["pk"],
            stripe_email="",
            stripe_name="",
            message=redact_text(row["message"], known),
            facts=facts_redacted(row.get("facts"), lambda text: redact_text(text, known)),
            warnings=facts_redacted(row["warnings"], lambda text: redact_text(text, known)),
            payload=None,
            personal_data_removed_at=now,
            personal_data_removed_reason=reason,
        )
        for row in batch
    ]
    SyncRecord.all_tenants.bulk_update(
        rows,
        [
            "stripe_email",
            "stripe_name",
            "message",
            "facts",
            "warnings",
            "payload",
            "personal_data_removed_at",
            "personal_data_removed_reason",
        ],
    )


def _clamped(months: int) -> int:
    return max(settings.SYNC_RECORD_RETENTION_MIN_MONTHS, min(months, settings.SYNC_RECORD_RETENTION_MONTHS))


def _retention_groups() -> list[tuple[int, Q]]:
    """(months, tenant filter): tenants without a setting keep the default; the rest by their value."""
    chosen = RetentionSetting.all_tenants.all()
    groups = [(settings.SYNC_RECORD_RETENTION_MONTHS, ~Q(tenant_id__in=chosen.values("tenant_id")))]
    for months in chosen.values_list("sync_record_months", flat=True).distinct():
        groups.append(
            (_clamped(months), Q(tenant_id__in=chosen.filter(sync_record_months=months).values("tenant_id")))
        )
    return groups
