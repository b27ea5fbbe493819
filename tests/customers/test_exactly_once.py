"""Exactly one e-conomic customer per Stripe customer, with real Celery worker processes.

Webhooks reach the live server over HTTP, workers run on the real Redis broker, and both
emulators are reached over HTTP, so these tests exercise the whole path a production event takes.
"""

import os
import signal
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from customers.models import CustomerLink, StripeEvent, SyncRecord
from syncapp.models import StripeConnection
from tests.conftest import wait_for
from tests.customers.webhook_helpers import as_body, customer_event, stripe_signature
from tests.fixtures_stripe import first_account

pytestmark = pytest.mark.worker
Status = StripeEvent.Status


def post_webhook(live_server, tenant, event: dict) -> int:
    secret = StripeConnection.objects.for_tenant(tenant).get().webhook_secret
    body = as_body(event)
    response = requests.post(
        f"{live_server.url}{first_account(tenant).webhook_path}",
        data=body,
        headers={"Stripe-Signature": stripe_signature(body, secret), "Content-Type": "application/json"},
        timeout=10,
    )
    return response.status_code


def all_events_settled(tenant, count: int):
    events = StripeEvent.objects.for_tenant(tenant)
    return events.count() >= count and not events.filter(status=Status.PENDING).exists()


def test_same_event_delivered_five_times_in_parallel_creates_one_customer(
    merchant, live_server, celery_worker
):
    customer = merchant.stripe.create_customer(email="five@firma.dk", name="Five Times ApS")
    event = customer_event(customer["id"], event_id="evt_same_five", type="customer.created")

    with ThreadPoolExecutor(max_workers=5) as pool:
        statuses = list(pool.map(lambda _: post_webhook(live_server, merchant.tenant, event), range(5)))

    assert statuses == [200] * 5
    wait_for(lambda: all_events_settled(merchant.tenant, 1), timeout=30, message="the event processed")
    assert StripeEvent.objects.for_tenant(merchant.tenant).count() == 1
    assert len(merchant.economic.customers()) == 1
    assert SyncRecord.objects.for_tenant(merchant.tenant).filter(action="created").count() == 1


def test_five_different_events_for_one_customer_at_once_create_one_customer(
    merchant, live_server, celery_worker
):
    customer = merchant.stripe.create_customer(email="burst@firma.dk", name="Burst ApS")
    events = [
        customer_event(
            customer["id"],
            event_id=f"evt_burst_{n}",
            type="customer.created" if n == 0 else "customer.updated",
        )
        for n in range(5)
    ]
    with ThreadPoolExecutor(max_workers=5) as pool:
        assert list(pool.map(lambda e: post_webhook(live_server, merchant.tenant, e), events)) == [200] * 5

    wait_for(lambda: all_events_settled(merchant.tenant, 5), timeout=30, message="five events processed")
    assert len(merchant.economic.customers()) == 1
    actions = sorted(SyncRecord.objects.for_tenant(merchant.tenant).values_list("action", flat=True))
    assert actions == ["created", "unchanged", "unchanged", "unchanged", "unchanged"]


@pytest.fixture
def wired_merchant(merchant, stripe_webhooks_to_tenant):
    """The merchant, with the Stripe emulator delivering real signed webhooks to our endpoint."""
    return merchant


def test_created_and_updated_arriving_in_reverse_order_give_one_customer(wired_merchant, celery_worker):
    merchant = wired_merchant
    merchant.stripe.set_delivery(reorder_batch=2)  # hold two events, send them newest first
    customer = merchant.stripe.create_customer(email="order@firma.dk", name="First Name")
    merchant.stripe.update_customer(customer["id"], name="Second Name")
    merchant.stripe.wait_for_deliveries()

    wait_for(lambda: all_events_settled(merchant.tenant, 2), timeout=30, message="both events processed")
    received = list(
        StripeEvent.objects.for_tenant(merchant.tenant).order_by("received").values_list("type", flat=True)
    )
    assert received[:2] == ["customer.updated", "customer.created"]
    customers = merchant.economic.customers()
    assert len(customers) == 1
    # Each sync re-fetched the customer from Stripe, so e-conomic has the latest name.
    assert customers[0]["name"] == "Second Name"


def test_write_back_echo_makes_no_economic_call(wired_merchant, celery_worker):
    merchant = wired_merchant
    mark = merchant.economic.mark()
    customer = merchant.stripe.create_customer(email="echo@firma.dk", name="Echo ApS")

    # customer.created, then the customer.updated our write-back of the number causes.
    wait_for(
        lambda: all_events_settled(merchant.tenant, 2), timeout=30, message="event and its echo processed"
    )
    echo = StripeEvent.objects.for_tenant(merchant.tenant).get(type="customer.updated")
    assert echo.status == Status.IGNORED
    assert "echo of our own write-back" in echo.last_error
    number = (
        CustomerLink.objects.for_tenant(merchant.tenant)
        .get(stripe_customer_id=customer["id"])
        .economic_customer_number
    )
    assert merchant.stripe.events("customer.updated")[-1]["data"]["object"]["metadata"][
        "economic_customer_number"
    ] == str(number)
    # One search for the one match rule, one create; nothing for the echo.
    assert merchant.economic_calls(mark) == 2


def _worker_children(worker) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(worker.pid)], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def test_worker_killed_after_economic_create_leaves_one_customer(merchant, live_server, celery_worker):
    customer = merchant.stripe.create_customer(email="crash@firma.dk", name="Crash ApS")
    # e-conomic commits the create, then holds the reply while we kill the worker doing it.
    merchant.economic.set_faults(stall_after_commit=1, stall_seconds=6)
    assert (
        post_webhook(live_server, merchant.tenant, customer_event(customer["id"], event_id="evt_crash"))
        == 200
    )

    wait_for(
        lambda: len(merchant.economic.customers()) == 1, timeout=30, message="e-conomic committed the create"
    )
    children = _worker_children(celery_worker)
    assert children
    for pid in children:
        os.kill(pid, signal.SIGKILL)

    # acks_late + reject_on_worker_lost: the task is redelivered; the retry searches first.
    wait_for(lambda: all_events_settled(merchant.tenant, 1), timeout=60, message="the event reprocessed")
    assert len(merchant.economic.customers()) == 1
    record = SyncRecord.objects.for_tenant(merchant.tenant).get()
    assert record.action == "created" and "not created twice" in record.message
    assert CustomerLink.objects.for_tenant(merchant.tenant).get().created_by_us is True


def test_economic_committing_and_dropping_the_reply_leaves_one_customer(merchant, live_server, celery_worker):
    customer = merchant.stripe.create_customer(email="drop@firma.dk", name="Dropped ApS")
    merchant.economic.set_faults(drop_after_commit=1)
    assert (
        post_webhook(live_server, merchant.tenant, customer_event(customer["id"], event_id="evt_drop")) == 200
    )

    wait_for(
        lambda: all_events_settled(merchant.tenant, 1),
        timeout=60,
        message="the event processed after a retry",
    )
    assert len(merchant.economic.customers()) == 1
    event = StripeEvent.objects.for_tenant(merchant.tenant).get()
    assert event.status == Status.PROCESSED and event.attempts == 2
    assert SyncRecord.objects.for_tenant(merchant.tenant).get().action == "created"


def test_throttled_event_is_retried_after_retry_after_and_succeeds(merchant, live_server, celery_worker):
    customer = merchant.stripe.create_customer(email="slow@firma.dk", name="Slow ApS")
    merchant.economic.set_faults(throttle=1, retry_after=1)
    assert (
        post_webhook(live_server, merchant.tenant, customer_event(customer["id"], event_id="evt_429")) == 200
    )
    wait_for(
        lambda: all_events_settled(merchant.tenant, 1), timeout=60, message="the throttled event processed"
    )
    # The 429 paused the tenant's e-conomic work for Retry-After: that attempt was not spent.
    assert StripeEvent.objects.for_tenant(merchant.tenant).get().attempts == 1
    assert len(merchant.economic.customers()) == 1
