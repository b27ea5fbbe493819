from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from syncapp.models import Tenant

from .models import ConnectionPause, StripeEvent, SyncRecord


def sync_records_for(*, tenant: Tenant, action: str | None = None, search: str = "") -> QuerySet[SyncRecord]:
    records = SyncRecord.objects.for_tenant(tenant)
    if action:
        records = records.filter(action=action)
    if search:
        matches = Q(stripe_customer_id__icontains=search) | Q(stripe_email__icontains=search)
        if search.isdigit():
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


SERVICE_NAMES = {"economic": "e-conomic", "stripe": "Stripe"}


def paused_services(*, tenant: Tenant) -> list[dict]:
    """Each paused service, in the merchant's words: why, until when, and what to do."""
    paused = []
    for pause in ConnectionPause.objects.for_tenant(tenant).exclude(reason="").order_by("service"):
        if not pause.active and pause.reason != ConnectionPause.Reason.UNAVAILABLE:
            continue
        name = SERVICE_NAMES.get(pause.service, pause.service)
        if pause.reason == ConnectionPause.Reason.REFUSED:
            todo = f"Reconnect {name} on the Connections page: the waiting syncs then run by themselves."
        else:
            todo = f"Nothing to do: we check {name} again shortly and the waiting syncs resume by themselves."
        paused.append(
            {
                "service": name,
                "reason": pause.get_reason_display(),
                "message": pause.message,
                "until": pause.until,
                "todo": todo,
            }
        )
    return paused
