"""Import: sync every existing Stripe customer once, cheaply, as a resumable job.

Stripe customers are read page by page (100 each) from a saved cursor; e-conomic's customers are
read in pages of 1000 into a match index once per run (`import_index.py`), so a matched customer
costs no e-conomic call and a created one costs one. Each customer still goes through
`customer_sync` (lock, policy, record) with the listed customer passed in (not fetched again),
so an import and a webhook never disagree. Customers are synced in lanes (`import_lanes.py`)
with the reader pages ahead of the saved cursor: the round trips overlap, and customers that need
no e-conomic call are synced while earlier pages' creates wait for the rate limit.

The job is a task per chunk. Whoever holds the run's lease works on it; the cursor, the counts
and a heartbeat (which renews the lease) are saved after every page, in order, once all of it
is synced. A killed worker's task is
redelivered with the same token and continues from the cursor; if it never comes back the lease
runs out and the sweeper sends the run again. A second message finds the run leased and does
nothing, so an import never runs twice. A failure that can pass waits (the lease set to the
retry's time) and the sweeper continues it then.

A dry run (`ImportRun.dry_run`) is the same job writing nothing: each customer's would-be outcome
becomes a row of its report (`import_report.py`). `import_run` (the command) may also pass
`on_record`, called with each listed customer and its record as its page is saved, in list
order.
"""

from collections import deque
from collections.abc import Callable
from contextlib import closing
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mappings.selectors import sync_settings_for
from syncapp.clients.stripe import StripeClient
from syncapp.connections.clients import economic_client_for, stripe_client_for
from syncapp.connections.selectors import stripe_accounts_for
from syncapp.models import StripeConnection, Tenant

from ..errors import PERMANENT, TRANSIENT, TransientSyncError, as_transient, merchant_facts
from ..explanations import fact, in_english
from ..models import ImportRun, SyncRecord
from ..queue import RUN_IMPORT, enqueue_import, send
from .import_index import import_index, import_index_drop, import_index_keep
from .import_lanes import LaneClients, Lanes, Page
from .import_plan import import_calls_estimate, import_plan_fact
from .import_report import economic_duplicates_keep, report_row_add
from .schedule import lease_until, new_lease_token, retry_delay
from .sync import customer_sync

# Stripe pages (IMPORT_PAGE_SIZE, 100) a task reads: twice what the reader may hold ahead, so
# the pages in hand at a chunk's end, finished before the next chunk reads on, are few of them.
CHUNK_PAGES = 100
Status = ImportRun.Status
ACTIVE = (Status.QUEUED, Status.RUNNING)
OnRecord = Callable[[dict, SyncRecord], None]


class ImportAlreadyRunning(Exception):
    pass


class ImportAccountUnknown(Exception):
    """The tenant has several Stripe accounts and the import did not say which."""


def _alive(run: ImportRun) -> bool:
    return run.status in ACTIVE and run.leased_until is not None and run.leased_until > timezone.now()


def import_start(
    *,
    tenant: Tenant,
    started_by: str,
    dry_run: bool = False,
    queue: bool = True,
    stripe_account: StripeConnection | None = None,
) -> ImportRun:
    """Queue an import (or a dry run) of one Stripe account's customers (the tenant's only one
    when none is given); refused while another import of the tenant is really alive (its lease is
    held). Without `queue` nothing is sent: the caller runs it with `import_run` and the lease
    the run holds (`run.leased_by`).

    A run whose worker died long ago (lease run out, never taken over) is closed and replaced.
    """
    stripe_account = stripe_account or _only_account(tenant)
    with transaction.atomic():
        # The tenant's row serialises two clicks arriving at once.
        Tenant.objects.select_for_update().get(pk=tenant.pk)
        for run in ImportRun.objects.for_tenant(tenant).filter(status__in=ACTIVE):
            if _alive(run):
                raise ImportAlreadyRunning("An import is already running: its progress is shown below.")
            _close(run, Status.FAILED, [fact("import_replaced")])
        token = new_lease_token()
        run = ImportRun.objects.for_tenant(tenant).create(
            stripe_account=stripe_account,
            started_by=started_by,
            dry_run=dry_run,
            leased_by=token,
            leased_until=lease_until(),
            heartbeat=timezone.now(),
        )
        if queue:
            enqueue_import(run.pk, token)
    return run


def _only_account(tenant: Tenant) -> StripeConnection:
    accounts = stripe_accounts_for(tenant=tenant)
    if len(accounts) != 1:
        raise ImportAccountUnknown(
            "Choose which Stripe account to import: "
            + ", ".join(f"“{account.name}”" for account in accounts)
            + "."
        )
    return accounts[0]


def import_cancel(*, tenant: Tenant, run_id: int, reason: str = "") -> ImportRun:
    """Stop an import (the merchant's Cancel, or support's with a reason): at once if nobody is
    working on it, else after the page in hand."""
    run = ImportRun.objects.for_tenant(tenant).get(pk=run_id)
    if run.status not in ACTIVE:
        return run
    ImportRun.all_tenants.filter(pk=run.pk).update(
        cancel_requested=True, **_said([fact("import_cancelling")])
    )
    run.refresh_from_db()
    if not _alive(run) or not run.leased_by:
        _close(run, Status.CANCELLED, _cancelled_message(run, reason))
    return run


def import_resume(*, tenant: Tenant, run_id: int) -> ImportRun:
    """Support's restart of a cancelled or failed run: it continues from its saved cursor.

    Refused while another import of the tenant is alive.
    """
    with transaction.atomic():
        Tenant.objects.select_for_update().get(pk=tenant.pk)
        run = ImportRun.objects.for_tenant(tenant).get(pk=run_id)
        if run.status not in (Status.CANCELLED, Status.FAILED):
            raise ImportAlreadyRunning(
                _("Import %(pk)s is %(status)s: not resumed.")
                % {"pk": run.pk, "status": run.get_status_display().lower()}
            )
        if any(_alive(other) for other in ImportRun.objects.for_tenant(tenant).filter(status__in=ACTIVE)):
            raise ImportAlreadyRunning("Another import of this merchant is running.")
        token = new_lease_token()
        _update(
            run,
            status=Status.QUEUED,
            cancel_requested=False,
            finished=None,
            **_said([fact("import_resumed", count=run.customers_seen)]),
            leased_by=token,
            leased_until=lease_until(),
        )
        enqueue_import(run.pk, token)
    return run


def import_run(*, run_id: int, token: str = "", on_record: OnRecord | None = None) -> ImportRun:
    """The whole import in this process (tests, commands): chunk after chunk under one lease
    (`token`: the one `import_start(queue=False)` took)."""
    token = token or new_lease_token()
    while import_chunk(run_id=run_id, token=token, on_record=on_record):
        pass
    return ImportRun.all_tenants.get(pk=run_id)


def import_continue(*, run_id: int, token: str) -> None:
    """The task: one chunk, then hand the lease to the message for the next one."""
    token = token or new_lease_token()
    if import_chunk(run_id=run_id, token=token):
        successor = new_lease_token()
        handed = ImportRun.all_tenants.filter(pk=run_id, leased_by=token).update(
            leased_by=successor, leased_until=lease_until()
        )
        if handed:
            send(RUN_IMPORT, run_id, successor)


def import_chunk(*, run_id: int, token: str, on_record: OnRecord | None = None) -> bool:
    """Up to CHUNK_PAGES pages of Stripe customers; True when more remain and the lease is ours."""
    if not _claim(run_id, token):
        return False
    run = ImportRun.all_tenants.select_related("tenant", "stripe_account").get(pk=run_id)
    if run.cancel_requested:
        _close(run, Status.CANCELLED, _cancelled_message(run, ""))
        return False
    try:
        return _chunk(run, token, on_record)
    except TRANSIENT as exc:
        waiting = as_transient(exc)
        _wait(run, token, waiting.facts, waiting.retry_after)
    except TransientSyncError as exc:  # a lane's sync: paced past its patience, or the daily budget
        _wait(run, token, exc.facts, exc.retry_after)
    except PERMANENT as exc:
        _close(run, Status.FAILED, merchant_facts(exc))
    return False


def _claim(run_id: int, token: str) -> bool:
    now = timezone.now()
    free = Q(leased_until__isnull=True) | Q(leased_until__lt=now) | Q(leased_by=token)
    claimed = ImportRun.all_tenants.filter(free, pk=run_id, status__in=ACTIVE).update(
        leased_by=token, leased_until=lease_until(now), heartbeat=now, status=Status.RUNNING
    )
    return claimed == 1


def _chunk(run: ImportRun, token: str, on_record: OnRecord | None) -> bool:
    tenant, account = run.tenant, run.stripe_account
    _update(run, **_said([fact("import_loading")]))
    sync_settings = sync_settings_for(tenant=tenant, account=account.name)
    fields = {rule.economic_field for rule in sync_settings.match_rules}
    # An import is work that can wait: near e-conomic's daily budget it stops first.
    with closing(economic_client_for(tenant, background=True)) as economic:
        index = import_index(run, economic, fields=fields)
    if run.dry_run:
        economic_duplicates_keep(run=run, index=index)
    _update(run, economic_customers_preloaded=index.size, **_said([fact("import_syncing")]))

    lane_clients = LaneClients(tenant, account)

    def sync_one(customer: dict) -> SyncRecord:
        return customer_sync(
            tenant=tenant,
            stripe_customer_id=customer["id"],
            stripe_account=account,
            dry_run=run.dry_run,
            match_index=index,
            listed_customer=customer,
            clients=lane_clients.current(),
        )

    # Leaving the lanes (first) stops them; the clients they used are closed after.
    with (
        lane_clients,
        closing(stripe_client_for(account)) as stripe,
        Lanes(sync_one, sync_settings, index) as lanes,
    ):
        more = _pages(run, token, stripe, lanes, on_record)
    if more:
        import_index_keep(run, index)  # with this chunk's creates, for the next chunk
    return more


def _pages(
    run: ImportRun, token: str, stripe: StripeClient, lanes: Lanes, on_record: OnRecord | None
) -> bool:
    """Up to CHUNK_PAGES pages, read ahead of the saved cursor (at most IMPORT_READ_AHEAD_PAGES
    in hand, `import_lanes.py`) and saved in order as each is done; True when more pages follow
    and the lease is still ours.

    The reader stops at the chunk's end and the pages in hand are finished before the next chunk
    reads on: their creates keep the rate limit busy meanwhile, so little is lost, and no synced
    customer is left to a task in another process.
    """
    in_hand: deque[Page] = deque()
    cursor, more, read = run.cursor, True, 0
    while True:
        while more and read < CHUNK_PAGES and len(in_hand) < settings.IMPORT_READ_AHEAD_PAGES:
            customers, more = stripe.customers_page(
                starting_after=cursor or None, limit=settings.IMPORT_PAGE_SIZE
            )
            cursor = customers[-1]["id"] if customers else cursor
            in_hand.append(lanes.read(customers, cursor=cursor, more=more))
            read += 1
        if not in_hand:
            return True  # the chunk's pages are saved and more follow: the next chunk reads on
        page = in_hand.popleft()
        if not _page_saved(run, token, page, lanes.page_done(page), on_record):
            return False
        run.refresh_from_db(fields=["cancel_requested"])
        if run.cancel_requested:
            _close(run, Status.CANCELLED, _cancelled_message(run, ""))
            return False


def _page_saved(
    run: ImportRun, token: str, page: Page, records: list[SyncRecord], on_record: OnRecord | None
) -> bool:
    """A done page's records counted and its cursor saved; True when more pages follow and the
    lease is still ours."""
    counts = dict(run.counts)
    for customer, record in zip(page.customers, records, strict=True):
        counts[record.action] = counts.get(record.action, 0) + 1
        _recorded(run, customer, record, on_record)
    if not _progress(run, token, cursor=page.cursor, counts=counts):
        return False  # taken over (we were presumed dead): the new holder carries on
    if not page.more:
        _close(run, Status.FINISHED, _finished_message(run, sum(counts.values())))
    return page.more


def _recorded(run: ImportRun, customer: dict, record: SyncRecord, on_record: OnRecord | None) -> None:
    if run.dry_run:
        report_row_add(run=run, customer=customer, record=record)
    if on_record is not None:
        on_record(customer, record)


def _finished_message(run: ImportRun, total: int) -> list[dict]:
    if run.dry_run:
        calls = import_calls_estimate(counts=run.counts, economic_customers=run.economic_customers_preloaded)
        return [fact("dry_run_done", total=total), import_plan_fact(tenant=run.tenant, calls=calls)]
    return [fact("imported", total=total)]


def _progress(run: ImportRun, token: str, *, cursor: str, counts: dict) -> bool:
    now = timezone.now()
    fields = {"cursor": cursor, "counts": counts, "customers_seen": sum(counts.values()), "heartbeat": now}
    saved = ImportRun.all_tenants.filter(pk=run.pk, leased_by=token).update(
        leased_until=lease_until(now), **fields
    )
    for name, value in fields.items():
        setattr(run, name, value)
    return saved == 1


def _wait(run: ImportRun, token: str, reason: list[dict], retry_after: float | None = None) -> None:
    """A failure that can pass: keep the place, let the sweeper continue after the backoff, or
    when the service (or the daily budget) said it may."""
    resume = timezone.now() + timedelta(seconds=retry_after or retry_delay(1, None))
    ImportRun.all_tenants.filter(pk=run.pk, leased_by=token).update(
        leased_by="",
        leased_until=resume,
        **_said([fact("import_waiting", reason=reason)]),
    )


def _cancelled_message(run: ImportRun, reason: str) -> list[dict]:
    if reason:
        return [fact("import_cancelled_by_support", reason=reason, count=run.customers_seen)]
    return [fact("import_cancelled", count=run.customers_seen)]


def _said(facts: list[dict]) -> dict:
    """A run's status line: its facts, and the English sentence kept beside them."""
    return {"message": in_english(facts), "facts": facts}


def _close(run: ImportRun, status: str, facts: list[dict]) -> None:
    _update(run, status=status, **_said(facts), finished=timezone.now(), leased_by="", leased_until=None)
    import_index_drop(run)


def _update(run: ImportRun, **fields) -> None:
    for name, value in fields.items():
        setattr(run, name, value)
    ImportRun.all_tenants.filter(pk=run.pk).update(**fields)


def imports_sweep() -> int:
    """Beat: send the active runs nobody holds (a killed worker's, a lost message's, a waiting one's)."""
    now = timezone.now()
    stale = ImportRun.all_tenants.filter(
        Q(leased_until__isnull=True) | Q(leased_until__lt=now), status__in=ACTIVE
    ).select_related("tenant")
    sent = 0
    for run in stale:
        token = new_lease_token()
        taken = ImportRun.all_tenants.filter(
            Q(leased_until__isnull=True) | Q(leased_until__lt=now), pk=run.pk, status__in=ACTIVE
        ).update(leased_by=token, leased_until=lease_until(now))
        if taken:
            sent += send(RUN_IMPORT, run.pk, token)
    return sent
