"""An import's customers synced in lanes (threads), read pages ahead of the saved cursor, so
e-conomic's rate limit is not left idle while customers that need none of it are synced.

Why ahead: Stripe lists newest first, and an import's new customers (one e-conomic create each,
paced by the rate limit) often come pages before the ones e-conomic already has (found in the
match index: no e-conomic call). Synced page after page, the found ones would wait behind every
create, and the rate limit would idle while they ran. So the caller keeps up to
IMPORT_READ_AHEAD_PAGES pages in hand (the bound on memory) and `Lanes.read` deals each customer:

- to a *create lane* (IMPORT_LANES of them) when the index does not find it: these take their
  turns at the rate limit; to a *match lane* (IMPORT_MATCH_LANES) when it does: these run
  meanwhile, so the matched customers of later pages are synced while earlier pages' creates
  wait for tokens (which lane of a kind: the one with the fewest customers waiting);
- but always to the lane that holds a customer it could find or be found by (a match key of one
  is a key of the other, or would be once created), after it, in reading order: two lanes never
  create the same customer, and a dry run's would-be customers are seen by exactly the customers
  that would see them in the import. A customer whose keys two lanes hold waits until one of them
  is done with them.

Pages are still finished in order (`Lanes.page_done` waits for one page): the caller saves the
cursor past a page only when all of it is synced, so a worker killed mid-import resumes from the
first page not done, and the customers of later pages it had synced are recognised by their link
(unchanged, no e-conomic call) rather than created again.

A lane whose call is paced by the rate limit waits its turn and carries on, as a lane is meant
to; any other failure that can pass stops every lane and is raised to the caller, which waits and
continues from the cursor. Each lane keeps its own API clients (`LaneClients`): reading the
credentials and connecting again for every customer cost more than many a sync's own work.
"""

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

from mappings.engine import SyncSettings, plan_customer
from mappings.match_index import MatchIndex, match_keys
from syncapp.models import StripeConnection, Tenant

from ..errors import TransientSyncError, Trouble
from ..models import SyncRecord
from .sync import SyncClients, sync_clients_for

SyncOne = Callable[[dict], SyncRecord]
Key = tuple[str, str]
# Pacing waits are short (the limiter hands a lane back within a second or two); a 429 storm is not.
PACED_WAIT_LIMIT_SECONDS = 30


class LaneClients:
    """One `SyncClients` per lane (thread), opened at its first customer, all closed together."""

    def __init__(self, tenant: Tenant, stripe_account: StripeConnection):
        self._tenant = tenant
        self._stripe_account = stripe_account
        self._mine = threading.local()
        self._opened: list[SyncClients] = []
        self._guard = threading.Lock()

    def __enter__(self) -> "LaneClients":
        return self

    def __exit__(self, *exc_info) -> None:
        for clients in self._opened:
            clients.close()

    def current(self) -> SyncClients:
        clients = getattr(self._mine, "clients", None)
        if clients is None:
            clients = self._mine.clients = sync_clients_for(self._tenant, self._stripe_account)
            with self._guard:
                self._opened.append(clients)
        return clients


@dataclass(eq=False)
class Page:
    """A page in hand: its customers, their records as the lanes finish them, and where the next
    read starts (`cursor`, saved once the page is done)."""

    customers: list[dict]
    cursor: str
    more: bool
    records: list[SyncRecord | None] = field(init=False)
    left: int = field(init=False)

    def __post_init__(self) -> None:
        self.records = [None] * len(self.customers)
        self.left = len(self.customers)


class Lanes:
    """The lanes of one chunk: `read` deals a page's customers, `page_done` waits for a page.

    Used as a context manager: leaving it stops the lanes (customers still waiting in them are
    left for the next try, which starts at the saved cursor) and waits for the syncs in hand.
    Where other threads cannot see this one's data (an open transaction, or SQLite in
    `make run`), every customer is synced in the caller's thread as it is read.
    """

    def __init__(self, sync_one: SyncOne, sync_settings: SyncSettings, index: MatchIndex):
        self._sync_one = sync_one
        self._settings = sync_settings
        self._index = index
        self._threaded = _threads_see_our_data()
        self._creates = settings.IMPORT_LANES if self._threaded else 0
        count = self._creates + settings.IMPORT_MATCH_LANES if self._threaded else 0
        self._queues: list[queue.SimpleQueue] = [queue.SimpleQueue() for _ in range(count)]
        self._waiting = [0] * count  # customers dealt to each lane and not done yet
        self._held: dict[Key, list[int]] = {}  # a key of a customer dealt, not done → [lane, customers]
        self._changed = threading.Condition()
        self._failure: BaseException | None = None
        self._stopping = False
        self._threads = [
            threading.Thread(target=self._run, args=(lane,), name=f"import-lane-{lane}", daemon=True)
            for lane in range(count)
        ]

    def __enter__(self) -> "Lanes":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        with self._changed:
            self._stopping = True
        for lane_queue in self._queues:
            lane_queue.put(None)
        for thread in self._threads:
            thread.join()

    def read(self, customers: list[dict], *, cursor: str, more: bool) -> Page:
        page = Page(customers, cursor, more)
        for position in range(len(customers)):
            self._deal(page, position)
        return page

    def page_done(self, page: Page) -> list[SyncRecord]:
        """Wait until every customer of `page` is synced; its records in page order. Raises the
        failure that stopped the lanes, if one did."""
        with self._changed:
            while page.left:
                self._raise_failure()
                self._changed.wait()
        return page.records

    def _deal(self, page: Page, position: int) -> None:
        customer = page.customers[position]
        if not self._threaded:
            page.records[position] = _paced(self._sync_one, customer)
            page.left -= 1
            return
        keys, found = self._sorted(customer)
        with self._changed:
            while len(holders := {self._held[key][0] for key in keys if key in self._held}) > 1:
                self._raise_failure()
                self._changed.wait()
            lane = holders.pop() if holders else self._least_busy(match_lanes=found)
            for key in keys:
                self._held.setdefault(key, [lane, 0])[1] += 1
            self._waiting[lane] += 1
        self._queues[lane].put((page, position, keys))

    def _sorted(self, customer: dict) -> tuple[set[Key], bool]:
        """Its keys (what it looks up, and what it would be found by once created), and whether
        the index finds it (a match lane's customer)."""
        plan = plan_customer(settings=self._settings, stripe_customer=customer)
        keys = {
            (q.economic_field, k) for q in plan.match_queries for k in match_keys(q.economic_field, q.value)
        }
        for rule in self._settings.match_rules:
            value = plan.create_payload.get(rule.economic_field)
            if value not in (None, ""):
                keys.update((rule.economic_field, k) for k in match_keys(rule.economic_field, value))
        return keys, any(self._index.lookup(query) for query in plan.match_queries)

    def _least_busy(self, *, match_lanes: bool) -> int:
        kind = range(self._creates, len(self._queues)) if match_lanes else range(self._creates)
        # With no lanes of its kind configured, a customer takes any lane.
        return min(kind or range(len(self._queues)), key=self._waiting.__getitem__)

    def _run(self, lane: int) -> None:
        try:
            while (item := self._queues[lane].get()) is not None:
                page, position, keys = item
                record = None
                if not (self._stopping or self._failure):
                    try:
                        record = _paced(self._sync_one, page.customers[position])
                    except BaseException as exc:  # raised to the reader, which stops the chunk
                        with self._changed:
                            self._failure = self._failure or exc
                self._done(lane, page, position, keys, record)
        finally:
            connection.close()  # this thread's own connection: the lanes end with the chunk

    def _done(self, lane: int, page: Page, position: int, keys: set[Key], record: SyncRecord | None) -> None:
        with self._changed:
            for key in keys:
                self._held[key][1] -= 1
                if not self._held[key][1]:
                    del self._held[key]
            self._waiting[lane] -= 1
            if record is not None:
                page.records[position] = record
                page.left -= 1
            self._changed.notify_all()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure


def _threads_see_our_data() -> bool:
    # Other threads have their own connections: they cannot see an open transaction's rows, and
    # SQLite (`make run`) takes one writer at a time.
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def _paced(sync_one: SyncOne, customer: dict) -> SyncRecord:
    waited = 0.0
    while True:
        try:
            return sync_one(customer)
        except TransientSyncError as exc:
            pause = exc.retry_after or 1.0
            # Paced by the rate limit, or waiting for another sync's create with the same value.
            waits = exc.trouble in (Trouble.THROTTLED, Trouble.WAITING)
            if not waits or waited + pause > PACED_WAIT_LIMIT_SECONDS:
                raise
            time.sleep(pause)
            waited += pause
