from syncapp.models import Tenant

from .selectors import (
    action_counts_last_day,
    open_review_items_for,
    paused_services,
    pending_event_count,
    recent_failures,
    reconciliation_for,
)


def sync_panel(tenant: Tenant) -> dict:
    return {
        "template": "customers/panels/sync.html",
        "counts": action_counts_last_day(tenant=tenant),
        "failures": recent_failures(tenant=tenant),
        "pending": pending_event_count(tenant=tenant),
        "paused": paused_services(tenant=tenant),
        "reconciliation": reconciliation_for(tenant=tenant),
    }


def review_panel(tenant: Tenant) -> dict:
    waiting = open_review_items_for(tenant=tenant)
    return {"template": "customers/panels/review.html", "waiting": waiting.count(), "oldest": waiting.first()}
