"""Reconciliation heals webhooks Stripe never delivered, with real workers (beat inside them)."""

import pytest
from django.urls import reverse

from customers.models import Reconciliation, StripeEvent
from customers.services.reconcile import tenant_reconcile
from tests.conftest import wait_for
from tests.customers.test_exactly_once import all_events_settled, post_webhook
from tests.factories import MembershipFactory
from tests.fixtures_stripe import first_account

Status = StripeEvent.Status


def _real_event(merchant, customer_id: str) -> dict:
    return next(
        e for e in merchant.stripe.events("customer.created") if e["data"]["object"]["id"] == customer_id
    )


@pytest.mark.worker
class TestHealing:
    @pytest.fixture
    def worker_env(self):
        return {"SYNC_RECONCILE_SECONDS": "2"}

    def test_an_event_never_delivered_is_found_and_synced(self, merchant, live_server, celery_worker, client):
        delivered = merchant.stripe.create_customer(email="got@firma.dk", name="Delivered ApS")
        assert post_webhook(live_server, merchant.tenant, _real_event(merchant, delivered["id"])) == 200
        # Stripe created this one's event but the webhook never reached us.
        missed = merchant.stripe.create_customer(email="missed@firma.dk", name="Missed ApS")
        missed_event = _real_event(merchant, missed["id"])

        wait_for(
            lambda: (
                StripeEvent.objects.for_tenant(merchant.tenant)
                .filter(stripe_event_id=missed_event["id"], status=Status.PROCESSED)
                .exists()
            ),
            timeout=40,
            message="the missed event healed and synced",
        )
        wait_for(lambda: all_events_settled(merchant.tenant, 2), timeout=20)
        assert sorted(c["email"] for c in merchant.economic.customers()) == [
            "got@firma.dk",
            "missed@firma.dk",
        ]
        events = StripeEvent.objects.for_tenant(merchant.tenant)
        assert events.filter(type="customer.created").count() == 2
        # The echoes of our number write-backs were never delivered either: stored, and ignored.
        assert set(events.filter(type="customer.updated").values_list("status", flat=True)) <= {
            Status.IGNORED
        }
        state = Reconciliation.objects.for_tenant(merchant.tenant).get()
        assert state.healed_total == events.count() - 1 and state.ran_at is not None

        client.force_login(MembershipFactory(tenant=merchant.tenant, role="owner").user)

        # The worker reconciles every 2 s and may meanwhile heal the echo of the last write-back:
        # the page is held against the state read right after it was rendered.
        def page_with_the_current_total():
            page = client.get(reverse("dashboard", args=[merchant.tenant.slug])).content.decode()
            total = Reconciliation.objects.for_tenant(merchant.tenant).get().healed_total
            return page if f"{total} in all" in page else None

        page = wait_for(page_with_the_current_total, timeout=10, message="the dashboard's healed total")
        assert "Checked Stripe for missed events" in page


def test_reconciling_again_stores_nothing_twice(merchant, django_capture_on_commit_callbacks):
    first = merchant.stripe.create_customer(email="a@firma.dk", name="A")
    event = _real_event(merchant, first["id"])
    from customers.services import event_store

    event_store(tenant=merchant.tenant, stripe_account=first_account(merchant.tenant), event=event)
    merchant.stripe.create_customer(email="b@firma.dk", name="B")
    assert tenant_reconcile(tenant=merchant.tenant) == 1
    assert tenant_reconcile(tenant=merchant.tenant) == 0
    assert StripeEvent.objects.for_tenant(merchant.tenant).count() == 2
