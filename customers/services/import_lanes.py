"""One page of an import, synced in a few lanes at once: the round trips overlap, the rules hold.

A sync spends most of its time waiting on e-conomic and Stripe, so one customer after another
leaves the agreement's rate limit mostly unused. Lanes (threads, IMPORT_LANES) overlap them.
Two customers that could find each other (one's match value is another's, or would be once it
is created) always share a lane, one after the other: two lanes never both create the same
customer. A lane whose call is paced by the rate limit waits its turn and carries on, as a lane
is meant to; any other failure that can pass stops the page, which is done again later. Each
lane keeps its own API clients (`LaneClients`): reading the credentials and connecting again for
every customer cost more than many a sync's own work.
"""

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connection

from mappings.engine import SyncSettings, plan_customer
from mappings.match_index import match_keys
from syncapp.models import StripeConnection, Tenant

from ..errors import TransientSyncError, Trouble
from ..models import SyncRecord
from .sync import SyncClients, sync_clients_for

SyncOne = Callable[[dict], SyncRecord]
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


def sync_in_lanes(customers: list[dict], sync_settings: SyncSettings, sync_one: SyncOne) -> list[SyncRecord]:
    """`sync_one` for every customer, in lanes when the database allows it; records in page order."""
    lanes = _lanes_for(_groups(customers, sync_settings))
    if len(lanes) <= 1 or not _threads_see_our_data():
        return [_paced(sync_one, customer) for customer in customers]
    with ThreadPoolExecutor(max_workers=len(lanes), thread_name_prefix="import-lane") as pool:
        done = [pool.submit(_lane, lane, sync_one) for lane in lanes]
        records = {id(c): r for future in done for c, r in future.result()}
    return [records[id(customer)] for customer in customers]


def _threads_see_our_data() -> bool:
    # Other threads have their own connections: they cannot see an open transaction's rows, and
    # SQLite (`make run`) takes one writer at a time.
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def _lane(customers: list[dict], sync_one: SyncOne) -> list[tuple[dict, SyncRecord]]:
    try:
        return [(customer, _paced(sync_one, customer)) for customer in customers]
    finally:
        connection.close()  # this thread's own connection: the pool's threads end with the page


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


def _groups(customers: list[dict], sync_settings: SyncSettings) -> list[list[dict]]:
    """Customers joined when a match key of one is a key of another (union-find on the keys)."""
    parent = list(range(len(customers)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with_key: dict[tuple[str, str], int] = {}
    for i, customer in enumerate(customers):
        for key in _keys(customer, sync_settings):
            j = first_with_key.setdefault(key, i)
            parent[root(i)] = root(j)
    groups: dict[int, list[dict]] = {}
    for i, customer in enumerate(customers):
        groups.setdefault(root(i), []).append(customer)
    return list(groups.values())


def _keys(customer: dict, sync_settings: SyncSettings) -> set[tuple[str, str]]:
    # What it looks up (its match values) and what it would be found by once created.
    plan = plan_customer(settings=sync_settings, stripe_customer=customer)
    keys = {(q.economic_field, k) for q in plan.match_queries for k in match_keys(q.economic_field, q.value)}
    for rule in sync_settings.match_rules:
        value = plan.create_payload.get(rule.economic_field)
        if value not in (None, ""):
            keys.update((rule.economic_field, k) for k in match_keys(rule.economic_field, value))
    return keys


def _lanes_for(groups: list[list[dict]]) -> list[list[dict]]:
    """Deal the groups, largest first, to the lane with least work so far."""
    lanes: list[list[dict]] = [[] for _ in range(min(settings.IMPORT_LANES, len(groups)))]
    for group in sorted(groups, key=len, reverse=True):
        min(lanes, key=len).extend(group)
    return [lane for lane in lanes if lane]
