"""The schedule in PostgreSQL, with real worker processes (beat inside them sweeps and probes).

Time is shortened by settings (the worker's environment and the test's settings agree), never
mocked: an outage longer than the old retry chain, a retry waiting while the sweeper runs, a huge
Retry-After, a service that stays down past the retry window.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from customers.models import ConnectionPause, StripeEvent, SyncRecord
from tests.conftest import wait_for
from tests.customers.test_exactly_once import all_events_settled, post_webhook

pytestmark = pytest.mark.worker
Status = StripeEvent.Status


def _deliver(merchant, live_server, email: str):
    """Stripe's own event for a new customer, delivered: the reconciliation that runs after a
    pause ends then finds nothing missing (only the echoes of our write-backs, ignored)."""
    customer = merchant.stripe.create_customer(email=email, name=email.split("@")[0])
    event = next(
        e for e in merchant.stripe.events("customer.created") if e["data"]["object"]["id"] == customer["id"]
    )
    assert post_webhook(live_server, merchant.tenant, event) == 200
    return customer


def _created_events(merchant):
    return StripeEvent.objects.for_tenant(merchant.tenant).filter(type="customer.created")


class TestOutageLongerThanTheOldRetryChain:
    @pytest.fixture
    def worker_env(self):
        # Every failure is an attempt on the schedule (no pause), and the window is long enough.
        return {"SYNC_PAUSE_AFTER_FAILURES": "1000", "SYNC_RETRY_MAX_SECONDS": "1"}

    def test_an_event_outlives_twelve_failures_and_syncs_once(self, merchant, live_server, celery_worker):
        # The old chain gave up after 8 retries; twelve 503s in a row are now simply waited out.
        merchant.economic.set_faults(errors=12, error_status=503)
        _deliver(merchant, live_server, "outage@firma.dk")
        wait_for(lambda: all_events_settled(merchant.tenant, 1), timeout=90, message="the event synced")
        event = _created_events(merchant).get()
        assert event.status == Status.PROCESSED and event.attempts > 8
        assert list(SyncRecord.objects.for_tenant(merchant.tenant).values_list("action", flat=True)) == [
            "created"
        ]
        assert len(merchant.economic.customers()) == 1


class TestRetryWindow:
    @pytest.fixture
    def worker_env(self):
        # A window of about 6 seconds (72 hours in production), swept every second.
        return {"SYNC_PAUSE_AFTER_FAILURES": "1000", "SYNC_RETRY_WINDOW_HOURS": "0.0017"}

    def test_past_the_window_the_event_gives_up_once_though_the_sweeper_keeps_running(
        self, merchant, live_server, celery_worker, settings
    ):
        merchant.economic.set_faults(errors=10_000, error_status=503)
        _deliver(merchant, live_server, "down@firma.dk")
        wait_for(lambda: all_events_settled(merchant.tenant, 1), timeout=60, message="the event gave up")
        # More sweeps: a final event is never sent again, and no second chain writes a second record.
        sweeps = _created_events(merchant).get().attempts
        wait_for(
            lambda: timezone.now() > _created_events(merchant).get().processed_at + timedelta(seconds=3),
            timeout=10,
        )
        event = _created_events(merchant).get()
        assert event.status == Status.FAILED and event.attempts == sweeps > 1
        records = SyncRecord.objects.for_tenant(merchant.tenant)
        assert [r.action for r in records] == ["failed"]
        assert records.get().message.startswith(f"Gave up after {event.attempts} attempts")
        assert merchant.economic.customers() == []


def test_a_waiting_retry_is_not_sent_twice_by_the_sweeper(merchant, live_server, celery_worker, settings):
    merchant.economic.set_faults(errors=1, error_status=500)
    _deliver(merchant, live_server, "wait@firma.dk")
    wait_for(
        lambda: StripeEvent.objects.for_tenant(merchant.tenant).filter(attempts=1, leased_by="").exists(),
        timeout=20,
        message="the first attempt failed",
    )
    wait_for(lambda: all_events_settled(merchant.tenant, 1), timeout=30, message="the retry synced")
    event = _created_events(merchant).get()
    assert event.status == Status.PROCESSED and event.attempts == 2
    assert SyncRecord.objects.for_tenant(merchant.tenant).count() == 1


def test_a_huge_retry_after_is_capped_and_spends_no_attempt(merchant, live_server, celery_worker, settings):
    merchant.economic.set_faults(throttle=1, retry_after=10**7)
    _deliver(merchant, live_server, "huge@firma.dk")
    pause = wait_for(
        lambda: ConnectionPause.objects.for_tenant(merchant.tenant).exclude(reason="").first(),
        timeout=20,
        message="the tenant paused",
    )
    # Capped at the longest backoff (an hour in production, SYNC_RETRY_MAX_SECONDS here).
    assert pause.reason == "throttled"
    assert pause.until <= timezone.now() + timedelta(seconds=settings.SYNC_RETRY_MAX_SECONDS)
    wait_for(lambda: all_events_settled(merchant.tenant, 1), timeout=30, message="the event synced")
    event = _created_events(merchant).get()
    assert event.status == Status.PROCESSED and event.attempts == 1
    assert len(merchant.economic.customers()) == 1


def test_an_outage_pauses_the_tenant_and_the_probe_resumes_it(merchant, live_server, celery_worker):
    # Three 503s in a row pause e-conomic for this tenant; the rest of the outage spends nothing.
    merchant.economic.set_faults(errors=40, error_status=503)
    for n in range(3):
        _deliver(merchant, live_server, f"p{n}@firma.dk")
    wait_for(
        lambda: ConnectionPause.objects.for_tenant(merchant.tenant).filter(reason="unavailable").exists(),
        timeout=30,
        message="e-conomic paused for the tenant",
    )
    merchant.economic.clear_faults()
    wait_for(lambda: all_events_settled(merchant.tenant, 3), timeout=60, message="the probe resumed")
    events = _created_events(merchant)
    assert set(events.values_list("status", flat=True)) == {Status.PROCESSED}
    assert sum(events.values_list("attempts", flat=True)) <= 6
    assert len(merchant.economic.customers()) == 3
    assert not ConnectionPause.objects.for_tenant(merchant.tenant).exclude(reason="").exists()
