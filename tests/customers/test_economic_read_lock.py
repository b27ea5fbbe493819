"""One read of e-conomic changes at a time per tenant, and a dead reader holds nothing back: the
lock is the reader's database connection's, so it goes when the worker dies (a killed worker's
cache flag used to stop the tenant's reads for five minutes)."""

import threading

import pytest
from django.db import connection

from customers import tasks
from customers.locks import economic_read_key, economic_read_lock
from tests.conftest import wait_for
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def reads(monkeypatch):
    done = []
    monkeypatch.setattr(tasks, "economic_changes_read", lambda *, tenant: done.append(tenant.pk) or 1)
    return done


def _in_another_connection(hold, *, released: threading.Event, held: threading.Event) -> threading.Thread:
    def run():
        try:
            hold(held, released)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    assert held.wait(10)
    return thread


def test_a_second_read_of_the_same_tenant_returns_at_once_while_another_tenants_runs(reads):
    tenant, other = TenantFactory(), TenantFactory()
    held, released = threading.Event(), threading.Event()

    def hold(held, released):
        with economic_read_lock(tenant_id=tenant.pk) as mine:
            assert mine
            held.set()
            released.wait(10)

    thread = _in_another_connection(hold, released=released, held=held)
    assert tasks.read_economic_changes(tenant.pk) == 0
    assert tasks.read_economic_changes(other.pk) == 1
    released.set()
    thread.join()
    assert tasks.read_economic_changes(tenant.pk) == 1
    assert reads == [other.pk, tenant.pk]


def test_a_reader_whose_connection_died_holds_nothing_back(reads):
    tenant = TenantFactory()
    held, released = threading.Event(), threading.Event()

    def die_holding(held, released):
        # As a SIGKILLed worker: the lock taken, never released; only its connection goes.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [economic_read_key(tenant.pk)])
            assert cursor.fetchone()[0] is True
        held.set()
        released.wait(10)

    thread = _in_another_connection(die_holding, released=released, held=held)
    assert tasks.read_economic_changes(tenant.pk) == 0
    released.set()
    thread.join()
    # PostgreSQL frees the lock as the dead connection's backend ends, a moment after it closed:
    # seconds, where the cache flag held the reads back for five minutes.
    wait_for(lambda: tasks.read_economic_changes(tenant.pk) == 1, timeout=10, message="the lock freed")
    assert reads == [tenant.pk]
