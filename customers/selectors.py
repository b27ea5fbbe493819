import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from syncapp.models import StripeConnection, Tenant
from syncapp.numbers import whole_number

from .models import ConnectionPause, ImportRun, Reconciliation, ReviewItem, StripeEvent, SyncRecord


def sync_records_for(
    *, tenant: Tenant, action: str | None = None, search: str = "", stripe_account_id: int | None = None
) -> QuerySet[SyncRecord]:
    records = SyncRecord.objects.for_tenant(tenant).select_related("stripe_account")
    if stripe_account_id is not None:
        records = records.filter(stripe_account_id=stripe_account_id)
    if action in SyncRecord.Action.values:
        records = records.filter(action=action)
    # PostgreSQL refuses a NUL character in any text it is given.
    search = search.replace("\x00", "")
    if search:
        matches = (
            Q(stripe_customer_id__icontains=search)
            | Q(stripe_email__icontains=search)
            | Q(stripe_name__icontains=search)
        )
        number = whole_number(search)
        if number is not None:
            matches |= Q(economic_customer_number=number)
        records = records.filter(matches)
    return records


def action_counts_last_day(*, tenant: Tenant) -> dict[str, int]:
    since = timezone.now() - timedelta(hours=24)
    rows = (
        SyncRecord.objects.for_tenant(tenant)
        .filter(created__gte=since, dry_run=False)
        .values("action")
        .annotate(n=Count("id"))
    )
    counts = {action: 0 for action in SyncRecord.Action.values}
    counts.update({row["action"]: row["n"] for row in rows})
    return counts


def _later_syncs(tenant: Tenant) -> QuerySet[SyncRecord]:
    """Syncs of the outer record's Stripe customer made after it (for a subquery)."""
    return SyncRecord.objects.for_tenant(tenant).filter(
        Q(created__gt=OuterRef("created")) | Q(created=OuterRef("created"), id__gt=OuterRef("id")),
        stripe_customer_id=OuterRef("stripe_customer_id"),
        dry_run=False,
    )


def failing_customers(*, tenant: Tenant) -> QuerySet[SyncRecord]:
    """The latest sync of each Stripe customer whose latest sync failed, newest first: a failure a
    later sync settled is history, not something to fix. (Portable SQL: `make run` is SQLite.)"""
    return (
        SyncRecord.objects.for_tenant(tenant)
        .filter(dry_run=False, action=SyncRecord.Action.FAILED)
        .filter(~Exists(_later_syncs(tenant)))
    )


def with_later_outcome(records: QuerySet[SyncRecord], *, tenant: Tenant) -> QuerySet[SyncRecord]:
    """Each record annotated with `later_action`: the outcome of the customer's newest later sync,
    or None when the record is its latest (only a latest failure offers Retry)."""
    newest_later = _later_syncs(tenant).order_by("-created", "-id").values("action")[:1]
    return records.annotate(later_action=Subquery(newest_later))


def pending_event_count(*, tenant: Tenant) -> int:
    return StripeEvent.objects.for_tenant(tenant).filter(status=StripeEvent.Status.PENDING).count()


def open_review_items_for(*, tenant: Tenant, stripe_account_id: int | None = None) -> QuerySet[ReviewItem]:
    items = (
        ReviewItem.objects.for_tenant(tenant)
        .filter(resolved_at__isnull=True)
        .select_related("stripe_account")
    )
    if stripe_account_id is not None:
        items = items.filter(stripe_account_id=stripe_account_id)
    return items.order_by("created", "id")


def account_filter(*, tenant: Tenant, chosen: str) -> tuple[list, int | None]:
    """The tenant's Stripe accounts for a filter (none when it has only one) and the chosen one's
    id (None: all), from the request's `account` parameter (anything else than one of them: all)."""
    accounts = list(StripeConnection.objects.for_tenant(tenant).order_by("id").only("id", "name"))
    if len(accounts) < 2:
        return [], None
    ids = {str(account.pk): account.pk for account in accounts}
    return accounts, ids.get(chosen)


def resolved_review_items_for(*, tenant: Tenant, limit: int = 20) -> list[ReviewItem]:
    return list(
        ReviewItem.objects.for_tenant(tenant)
        .filter(resolved_at__isnull=False)
        .select_related("record")
        .order_by("-resolved_at")[:limit]
    )


SERVICE_NAMES = {"economic": "e-conomic", "stripe": "Stripe"}


def paused_services(*, tenant: Tenant) -> list[dict]:
    """Each paused service, in the merchant's words: why, until when, and what to do."""
    paused = []
    for pause in ConnectionPause.objects.for_tenant(tenant).exclude(reason="").order_by("service"):
        if not pause.active and pause.reason != ConnectionPause.Reason.UNAVAILABLE:
            continue
        name = SERVICE_NAMES.get(pause.service, pause.service)
        if pause.reason == ConnectionPause.Reason.REFUSED:
            todo = _(
                "Reconnect %(service)s on the Connections page: the waiting syncs then run by themselves."
            )
        else:
            todo = _(
                "Nothing to do: we check %(service)s again shortly and the waiting syncs resume "
                "by themselves."
            )
        todo %= {"service": name}
        paused.append(
            {
                "service": name,
                "reason": pause.get_reason_display(),
                "message": pause.message_text,
                "until": pause.until,
                "todo": todo,
            }
        )
    return paused


LAST_SWEEP_KEY = "customers:last-sweep"
# Due events older than this mean the sweeper or the workers are not keeping up.
OVERDUE_ALARM_SECONDS = 300


def sync_status() -> dict:
    """For /readyz: the backlog of due events (from PostgreSQL) and the sweeper's heartbeat."""
    now = timezone.now()
    due = StripeEvent.all_tenants.filter(status=StripeEvent.Status.PENDING, next_attempt_at__lte=now)
    oldest = due.aggregate(oldest=Min("next_attempt_at"))["oldest"]
    overdue = int((now - oldest).total_seconds()) if oldest else 0
    try:
        last_sweep = cache.get(LAST_SWEEP_KEY)
    except Exception:  # the cache is Redis: down with the broker, reported rather than raised
        last_sweep = None
    sweep_age = int(time.time() - last_sweep) if last_sweep else None
    sweep_fresh = sweep_age is not None and sweep_age < max(3 * settings.SYNC_SWEEP_SECONDS, 60)
    return {
        "ok": overdue < OVERDUE_ALARM_SECONDS and sweep_fresh,
        "due_events": due.count(),
        "oldest_due_seconds": overdue,
        "last_sweep_seconds_ago": sweep_age,
        "paused_connections": ConnectionPause.all_tenants.exclude(reason="").count(),
    }


@dataclass(frozen=True)
class ReconciliationSummary:
    """The reconciliations of all the tenant's Stripe accounts, as the dashboard tells them."""

    ran_at: datetime | None  # the least recent account's last check
    healed: int
    healed_total: int
    message: str


def reconciliation_for(*, tenant: Tenant) -> ReconciliationSummary | None:
    states = list(Reconciliation.objects.for_tenant(tenant).select_related("stripe_account"))
    if not states:
        return None
    several = len(states) > 1
    # Each failure in the reader's language (the selector runs inside the request).
    messages = [
        f"{s.stripe_account.name}: {s.message_text}" if several else s.message_text
        for s in states
        if s.message
    ]
    ran = [s.ran_at for s in states]
    return ReconciliationSummary(
        ran_at=None if None in ran else min(ran),
        healed=sum(s.healed for s in states),
        healed_total=sum(s.healed_total for s in states),
        message=" ".join(messages),
    )


@dataclass(frozen=True)
class ImportProgress:
    """How far a running import is, for its progress bar: `total` is the Stripe customers the
    latest finished run saw (Stripe does not count them for us), None before any run finished."""

    seen: int
    total: int | None
    seconds_left: int | None

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(99, self.seen * 100 // self.total)


def import_progress_for(*, tenant: Tenant, run: ImportRun) -> ImportProgress:
    finished = (
        ImportRun.objects.for_tenant(tenant)
        .filter(status=ImportRun.Status.FINISHED, customers_seen__gt=0)
        .exclude(pk=run.pk)
        .order_by("-created")
        .values_list("customers_seen", flat=True)
        .first()
    )
    elapsed = (timezone.now() - run.created).total_seconds()
    left = None
    if finished and run.customers_seen and elapsed > 0 and finished > run.customers_seen:
        left = int((finished - run.customers_seen) * elapsed / run.customers_seen)
    return ImportProgress(seen=run.customers_seen, total=finished, seconds_left=left)
