from syncapp.models import Tenant

from .selectors import (
    action_counts_last_day,
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
