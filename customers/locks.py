"""Serialise work on one Stripe customer of one tenant, across every worker process.

A PostgreSQL session-level advisory lock: it lives on the worker's database connection, so it is
released when the worker dies (its connection closes) and can never expire in the middle of a
call the way a Redis lock with a TTL can. It spans several short transactions, which lets the
sync commit "a create is in flight" before it POSTs to e-conomic.

Re-entrant within one thread (Django's connection is per thread): event processing holds the lock
while it checks the event, and the `customer_sync` it then calls finds it already held.
"""

import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

_local_locks: dict[tuple[int, str], threading.Lock] = {}
_local_guard = threading.Lock()
_held = threading.local()


def _key(stripe_customer_id: str) -> int:
    # Advisory locks take two 32-bit keys: the tenant id and a hash of the Stripe id.
    return zlib.crc32(stripe_customer_id.encode()) - 2**31


def _held_keys() -> set[tuple[int, str]]:
    if not hasattr(_held, "keys"):
        _held.keys = set()
    return _held.keys


@contextmanager
def customer_lock(*, tenant_id: int, stripe_customer_id: str) -> Iterator[None]:
    held, key = _held_keys(), (tenant_id, stripe_customer_id)
    if key in held:
        yield
        return
    with _acquired(tenant_id=tenant_id, stripe_customer_id=stripe_customer_id):
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)


@contextmanager
def _acquired(*, tenant_id: int, stripe_customer_id: str) -> Iterator[None]:
    if connection.vendor != "postgresql":
        # `make run` on SQLite: one process, so a process-local lock is enough.
        with _local_guard:
            lock = _local_locks.setdefault((tenant_id, stripe_customer_id), threading.Lock())
        with lock:
            yield
        return
    key = _key(stripe_customer_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [tenant_id, key])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [tenant_id, key])
