from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from syncapp.models import Tenant

from .models import ReviewItem, StripeEvent, SyncRecord


def sync_records_for(*, tenant: Tenant, action: str | None = None, search: str = "") -> QuerySet[SyncRecord]:
    records = SyncRecord.objects.for_tenant(tenant)
    if action in SyncRecord.Action.values:
        records = records.filter(action=action)
    # PostgreSQL refuses a NUL character in any text it is given.
    search = search.replace("\x00", "")
    if search:
        matches = Q(stripe_customer_id__icontains=search) | Q(stripe_email__icontains=search)
        # isdigit() is also true for "²" and other digits int() refuses.
        if search.isascii() and search.isdigit():
            matches |= Q(economic_customer_number=int(search))
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


def recent_failures(*, tenant: Tenant, limit: int = 5) -> list[SyncRecord]:
    return list(
        sync_records_for(tenant=tenant, action=SyncRecord.Action.FAILED).filter(dry_run=False)[:limit]
    )


def pending_event_count(*, tenant: Tenant) -> int:
    return StripeEvent.objects.for_tenant(tenant).filter(status=StripeEvent.Status.PENDING).count()


def open_review_items_for(*, tenant: Tenant) -> QuerySet[ReviewItem]:
    return ReviewItem.objects.for_tenant(tenant).filter(resolved_at__isnull=True).order_by("created", "id")


def resolved_review_items_for(*, tenant: Tenant, limit: int = 20) -> list[ReviewItem]:
    return list(
        ReviewItem.objects.for_tenant(tenant)
        .filter(resolved_at__isnull=False)
        .order_by("-resolved_at")[:limit]
    )
