"""Serialise work across every worker process: per Stripe customer, and per match value.

PostgreSQL session-level advisory locks: they live on the worker's database connection, so they
are released when the worker dies (its connection closes) and can never expire in the middle of a
call the way a Redis lock with a TTL can. They span several short transactions, which lets the
sync commit "a create is in flight" before it POSTs to e-conomic. On SQLite (`make run`, one
process) a process-local lock does the same.

Two kinds, always taken in this order, so no two syncs can wait for each other round a circle:
1. `customer_lock`: one Stripe customer of one tenant (two 32-bit keys: tenant, hash of the id).
   Re-entrant within one thread (Django's connection is per thread): event processing holds it
   while it checks the event, and the `customer_sync` it then calls finds it already held.
2. `match_value_locks`: every value a sync could match or create a customer by, keyed by the
   e-conomic agreement (tenants sharing one agreement share them), the field and the value as
   e-conomic compares it. All of them at once, in ascending key order, and never while another
   set is held: two syncs needing overlapping sets both climb the same ladder, so whoever holds a
   rung never waits for a lower one. Two Stripe customers with one e-mail thus search and create
   one after the other, and the second finds what the first created.
"""

import hashlib
import threading
import zlib
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager

from django.conf import settings

from syncapp.advisory import advisory_lock, advisory_try_lock

_held = threading.local()


def _customer_key(stripe_customer_id: str) -> int:
    # crc32 of the Stripe id, as a signed 32-bit key.
    return zlib.crc32(stripe_customer_id.encode()) - 2**31


def _held_customers() -> set[tuple[int, str]]:
    if not hasattr(_held, "customers"):
        _held.customers = set()
    return _held.customers


@contextmanager
def customer_lock(*, tenant_id: int, stripe_customer_id: str) -> Iterator[None]:
    held, key = _held_customers(), (tenant_id, stripe_customer_id)
    if key in held:
        yield
        return
    # Two 32-bit keys and one 64-bit key are separate spaces in PostgreSQL: a value key never
    # collides with a customer key.
    pg_key = [tenant_id, _customer_key(stripe_customer_id)]
    with advisory_lock(("customer", *key), pg_key):
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)


def match_value_key(*, agreement: str, field: str, value: str) -> int:
    """A signed 64-bit key for one value of one e-conomic field in one agreement.

    Keyed with the secret key, so the key (also stored in a create's claim) does not give an
    e-mail address away to whoever can guess it.
    """
    digest = hashlib.blake2b(
        f"{agreement}\x00{field}\x00{value}".encode(),
        digest_size=8,
        key=settings.SECRET_KEY.encode()[:64],
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def match_value_locks(keys: Iterable[int]) -> Iterator[None]:
    """Hold the locks of all `keys` (from `match_value_key`) for the block; see the module doc."""
    if getattr(_held, "values", False):
        raise RuntimeError("match value locks are taken all at once, never nested")
    _held.values = True
    try:
        with ExitStack() as stack:
            for key in sorted(set(keys)):
                stack.enter_context(advisory_lock(("value", key), [key]))
            yield
    finally:
        _held.values = False


def economic_read_key(tenant_id: int) -> int:
    # In the 64-bit space beside the value keys; "reads" is no agreement key ("agreement-<n>").
    return match_value_key(agreement="reads", field="tenant", value=str(tenant_id))


@contextmanager
def economic_read_lock(*, tenant_id: int) -> Iterator[bool]:
    """Held while a tenant's read of e-conomic changes runs; yields False at once when another read
    holds it. A lock of the worker's connection, so a worker killed mid-read frees it at once (a
    cache flag would hold the tenant's reads back for its whole lifetime)."""
    with advisory_try_lock(("economic-read", tenant_id), [economic_read_key(tenant_id)]) as taken:
        yield taken
