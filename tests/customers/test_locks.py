"""The per-customer lock: event processing holds it and the sync it calls reuses it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.locks import customer_lock

pytestmark = pytest.mark.django_db


def test_the_lock_taken_again_in_the_same_thread_costs_nothing():
    with customer_lock(tenant_id=1, stripe_customer_id="cus_1"):
        with CaptureQueriesContext(connection) as inner:
            with customer_lock(tenant_id=1, stripe_customer_id="cus_1"):
                pass
        assert inner.captured_queries == []
        with CaptureQueriesContext(connection) as other:
            with customer_lock(tenant_id=1, stripe_customer_id="cus_2"):
                pass
        assert len(other.captured_queries) == 2  # lock and unlock: another customer's lock


def test_the_lock_is_released_when_the_outer_use_ends():
    with customer_lock(tenant_id=1, stripe_customer_id="cus_1"):
        with customer_lock(tenant_id=1, stripe_customer_id="cus_1"):
            pass
    with CaptureQueriesContext(connection) as again:
        with customer_lock(tenant_id=1, stripe_customer_id="cus_1"):
            pass
    assert len(again.captured_queries) == 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
        assert cursor.fetchone()[0] == 0
