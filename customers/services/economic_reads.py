"""Seeing changes in e-conomic: per tenant, a read of the customers changed since a cursor.

Beat asks every minute which tenants' reads are due (`economic_reads_due`); each tenant's read
runs every `sync.economic_read_minutes` of its settings (5 by default), and at once when an
e-conomic notification hints at a change (`economic_read_request`). A notification is never
data: it only moves the read's due time to now.

The cursor (`EconomicRead`): `lastUpdated$gte:<cursor>` with the (number, lastUpdated) pairs
already handled at exactly the cursor's second skipped. e-conomic's `lastUpdated` has whole
seconds; `$gt:` would miss a customer changed later within the second the cursor holds, `$gte:`
alone would apply the cursor's customers again. So when nothing changed the read is one call (it
returns the few customers at the cursor, already seen), and many changes are read in pages of
1,000 by customer number (`iter_customers`). The customers are applied oldest first, and the
cursor advances after each: a read stopped by a throttle or an outage resumes where it stopped.

The reads use the tenant's pooled e-conomic client: the agreement's rate limit and daily budget,
and they wait while the tenant's work is paused (429, outage, refused credential) like the rest.
"""

from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mappings.selectors import sync_settings_for
from syncapp.clients.economic import escape_filter_value
from syncapp.connections.clients import NotConnected
from syncapp.connections.pool import pooled_economic_client_for
from syncapp.models import ConnectionStatus, EconomicConnection, Tenant

from ..errors import PERMANENT, REFUSED, TRANSIENT, TransientSyncError, as_transient
from ..models import EconomicRead
from ..queue import enqueue_economic_read
from .from_economic import economic_customer_apply
from .pauses import active_pause, pause_note_trouble

PAGE = 1000
# The cursor of an agreement without customers yet: every customer made later is a change to read.
BEFORE_ANY_CUSTOMER = "1970-01-01T00:00:00Z"


# e-conomic sends one notification per changed customer: a burst (an import in e-conomic) starts
# one read, and whatever it missed is due at once for beat's next look.
HINTS_COALESCED_SECONDS = 10


def economic_read_request(*, tenant: Tenant) -> None:
    """A hint (e-conomic's notification) that a customer changed: read now."""
    EconomicRead.objects.for_tenant(tenant).update_or_create(defaults={"due_at": timezone.now()})
    if cache.add(f"economic-read-hinted:{tenant.pk}", 1, HINTS_COALESCED_SECONDS):
        enqueue_economic_read(tenant.pk)


def economic_reads_due() -> int:
    """Beat: send the read of every connected tenant whose read is due (or never ran); how many."""
    connected = EconomicConnection.all_tenants.filter(status=ConnectionStatus.CONNECTED).values_list(
        "tenant_id", flat=True
    )
    not_due = EconomicRead.all_tenants.filter(due_at__gt=timezone.now()).values_list("tenant_id", flat=True)
    due = set(connected) - set(not_due)
    for tenant_id in sorted(due):
        enqueue_economic_read(tenant_id)
    return len(due)


def economic_changes_read(*, tenant: Tenant) -> int:
    """Read the customers changed since the cursor and apply each; how many were applied.

    Raises TransientSyncError when e-conomic or Stripe cannot answer now (the cursor keeps what
    was applied; the next read continues)."""
    settings = sync_settings_for(tenant=tenant)
    with transaction.atomic():
        read = EconomicRead.objects.for_tenant(tenant).select_for_update().get_or_create()[0]
        read.due_at = timezone.now() + timedelta(minutes=settings.economic_read_minutes)
        read.save(update_fields=["due_at"])
    if not settings.reads_economic or active_pause(tenant=tenant) is not None:
        return 0
    try:
        economic = pooled_economic_client_for(tenant)
        if not read.cursor:
            # The first read starts now: what changed before is the import's and the sync's past,
            # the customers of the newest second too (else the next read's `$gte:` applies them
            # as changes: an import or a seed gives many customers one second).
            newest, at_newest = economic.newest_customer_update(pagesize=PAGE)
            read.cursor, read.seen_at_cursor = newest or BEFORE_ANY_CUSTOMER, at_newest
            read.ran_at = timezone.now()
            read.save(update_fields=["cursor", "seen_at_cursor", "ran_at"])
            return 0
        changed = economic.iter_customers(
            filter=f"lastUpdated$gte:{escape_filter_value(read.cursor)}", page_size=PAGE
        )
        fresh = [c for c in changed if not _seen(read, c)]
        applied = 0
        for customer in sorted(fresh, key=lambda c: (c.get("lastUpdated") or "", c["customerNumber"])):
            economic_customer_apply(tenant=tenant, economic_customer=customer)
            _advance(read, customer)
            applied += 1
    except TransientSyncError as error:  # Stripe's or e-conomic's, while applying a customer
        pause_note_trouble(tenant=tenant, error=error)
        raise
    except (*TRANSIENT, *REFUSED) as exc:
        # Throttling, an outage or a refused credential pause the tenant's reads with its events.
        error = as_transient(exc)
        pause_note_trouble(tenant=tenant, error=error)
        raise error from exc
    except (*PERMANENT, NotConnected) as exc:
        read.message = _("The last read of e-conomic failed: %(why)s") % {"why": str(exc)}
        read.save(update_fields=["message"])
        return 0
    read.ran_at, read.message = timezone.now(), ""
    read.changed_total += applied
    read.save(update_fields=["ran_at", "message", "changed_total"])
    return applied


def _seen(read: EconomicRead, customer: dict) -> bool:
    return customer.get("lastUpdated") == read.cursor and customer["customerNumber"] in read.seen_at_cursor


def _advance(read: EconomicRead, customer: dict) -> None:
    last_updated = customer.get("lastUpdated") or read.cursor
    if last_updated != read.cursor:
        read.cursor, read.seen_at_cursor = last_updated, []
    read.seen_at_cursor = [*read.seen_at_cursor, customer["customerNumber"]]
    read.save(update_fields=["cursor", "seen_at_cursor"])
