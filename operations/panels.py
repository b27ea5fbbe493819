from customers.selectors import (
    action_counts_last_day,
    failing_customers,
    open_review_items_for,
    paused_services,
    pending_event_count,
    reconciliation_for,
)
from syncapp.models import Tenant


def sync_panel(tenant: Tenant) -> dict:
    failing = failing_customers(tenant=tenant)
    return {
        "template": "customers/panels/sync.html",
        "counts": action_counts_last_day(tenant=tenant),
        "failing": failing.count(),
        "failures": list(failing.order_by("-created", "-id")[:5]),
        "pending": pending_event_count(tenant=tenant),
        "paused": paused_services(tenant=tenant),
        "reconciliation": reconciliation_for(tenant=tenant),
    }


def review_panel(tenant: Tenant) -> dict:
    waiting = open_review_items_for(tenant=tenant)
    return {"template": "customers/panels/review.html", "waiting": waiting.count(), "oldest": waiting.first()}
