"""One lock across every process: a PostgreSQL session-level advisory lock, or on SQLite (`make
run`, one process) a process-local lock.

Session-level: the lock lives on the thread's database connection, outside any transaction, so it
may be held across an HTTP call and several short transactions, and is released if the process
dies (its connection closes). customers/locks.py builds the sync's locks on it; the connections
package holds one per Stripe account while refreshing its tokens.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

_local_locks: dict[object, threading.Lock] = {}
_local_guard = threading.Lock()


@contextmanager
def advisory_lock(local_key: object, pg_key: list[int]) -> Iterator[None]:
    """Hold the lock `pg_key` (one signed 64-bit key, or two signed 32-bit keys: separate spaces
    in PostgreSQL) for the block; `local_key` names the same lock on SQLite."""
    if connection.vendor != "postgresql":
        with _local_guard:
            lock = _local_locks.setdefault(local_key, threading.Lock())
        with lock:
            yield
        return
    placeholders = ", ".join(["%s"] * len(pg_key))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_advisory_lock({placeholders})", pg_key)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT pg_advisory_unlock({placeholders})", pg_key)


@contextmanager
def advisory_try_lock(local_key: object, pg_key: list[int]) -> Iterator[bool]:
    """As `advisory_lock`, but never waits: yields whether the lock was free (and is now held)."""
    if connection.vendor != "postgresql":
        with _local_guard:
            lock = _local_locks.setdefault(local_key, threading.Lock())
        taken = lock.acquire(blocking=False)
        try:
            yield taken
        finally:
            if taken:
                lock.release()
        return
    placeholders = ", ".join(["%s"] * len(pg_key))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_try_advisory_lock({placeholders})", pg_key)
        taken = cursor.fetchone()[0]
    try:
        yield taken
    finally:
        if taken:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT pg_advisory_unlock({placeholders})", pg_key)
