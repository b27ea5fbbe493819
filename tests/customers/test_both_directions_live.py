"""Issue 24's done-when, with the real Celery worker and beat and the emulators over HTTP: a
bookkeeper's edit in e-conomic reaches Stripe within one read interval with one record; an edit on
both sides between two syncs ends with the newer value on both; no write bounces back (calls
counted per direction, written to test-artifacts/both-directions-calls.json)."""

import json
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from customers.models import EconomicRead, StripeEvent, SyncRecord
from syncapp.connections.common import Service
from syncapp.connections.selectors import connection_for, economic_notification_url
from tests.conftest import ROOT, wait_for
from tests.customers.test_exactly_once import post_webhook
from tests.customers.test_from_economic import stamp, two_way

Action, Direction, Status = SyncRecord.Action, SyncRecord.Direction, StripeEvent.Status
READ_MINUTES = 1


def stripe_event_for(merchant, customer_id: str, type_: str) -> dict:
    return [e for e in merchant.stripe.events(type_) if e["data"]["object"]["id"] == customer_id][-1]


def to_stripe_records(merchant) -> list[SyncRecord]:
    return list(SyncRecord.objects.for_tenant(merchant.tenant).filter(direction=Direction.TO_STRIPE))


def settled(merchant, event_id: str) -> bool:
    events = StripeEvent.objects.for_tenant(merchant.tenant).filter(stripe_event_id=event_id)
    return events.exclude(status=Status.PENDING).exists()


def calls_since(merchant, economic_mark: int, stripe_before: dict) -> dict:
    return {
        "economic_get": merchant.economic_calls(economic_mark, method="GET"),
        "economic_put": merchant.economic_calls(economic_mark, method="PUT"),
        "stripe_get": merchant.stripe.request_count(method="GET") - stripe_before["GET"],
        "stripe_post": merchant.stripe.request_count(method="POST") - stripe_before["POST"],
    }


def stripe_counts(merchant) -> dict:
    return {method: merchant.stripe.request_count(method=method) for method in ("GET", "POST")}


@pytest.mark.worker
@pytest.mark.long
class TestBothDirections:
    @pytest.fixture
    def worker_env(self):
        return {"ECONOMIC_READ_TICK_SECONDS": "1"}

    def test_economic_edits_reach_stripe_once_and_newest_wins_on_both_sides(
        self, merchant, live_server, celery_worker
    ):
        two_way(merchant, minutes=READ_MINUTES)
        customer = merchant.stripe.create_customer(
            email="anna@firma.dk", name="Firma ApS", phone="11111111", address={"line1": "Old street 1"}
        )
        created = stripe_event_for(merchant, customer["id"], "customer.created")
        assert post_webhook(live_server, merchant.tenant, created) == 200
        number = wait_for(
            lambda: (
                SyncRecord.objects.for_tenant(merchant.tenant)
                .filter(action=Action.CREATED)
                .values_list("economic_customer_number", flat=True)
                .first()
            ),
            timeout=30,
            message="the customer created in e-conomic",
        )
        # Beat's first read of this tenant sets the cursor (one call); the next is a minute later.
        wait_for(
            lambda: EconomicRead.objects.for_tenant(merchant.tenant).filter(cursor__gt="").exists(),
            timeout=30,
            message="the first read's cursor",
        )
        write_back_echo = stripe_event_for(merchant, customer["id"], "customer.updated")
        assert post_webhook(live_server, merchant.tenant, write_back_echo) == 200
        wait_for(
            lambda: settled(merchant, write_back_echo["id"]), timeout=20, message="the write-back's echo"
        )

        # --- 1. A bookkeeper's fix in e-conomic reaches Stripe within one read interval. ---
        economic_mark, stripe_before = merchant.economic.mark(), stripe_counts(merchant)
        merchant.economic.edit_customer(number, address="New street 2", at=stamp(1))
        edited = timezone.now()
        wait_for(
            lambda: merchant.stripe.retrieve_customer(customer["id"])["address"]["line1"] == "New street 2",
            timeout=READ_MINUTES * 60 + 20,
            message="the address in Stripe",
        )
        assert timezone.now() - edited <= timedelta(minutes=READ_MINUTES, seconds=15)
        # The record is written just after Stripe's answer.
        (record,) = wait_for(lambda: to_stripe_records(merchant), timeout=10, message="the record")
        assert record.action == Action.UPDATED_IN_STRIPE
        assert record.message == f"Updated in Stripe from e-conomic customer {number}: address."
        # Our write's own echo, delivered: recognised, never synced back to e-conomic.
        echo = stripe_event_for(merchant, customer["id"], "customer.updated")
        assert echo["id"] != write_back_echo["id"]
        assert post_webhook(live_server, merchant.tenant, echo) == 200
        wait_for(lambda: settled(merchant, echo["id"]), timeout=20, message="the echo settled")
        one_edit = calls_since(merchant, economic_mark, stripe_before)
        assert one_edit["economic_put"] == 0  # nothing bounced back to e-conomic
        assert one_edit["stripe_post"] == 1  # the one update of the Stripe customer
        assert one_edit["stripe_get"] == 1  # the customer read before it
        assert len(to_stripe_records(merchant)) == 1

        # --- 2. Both sides edited between two syncs: the newer (e-conomic's) wins on both. ---
        # e-conomic's "Customer updated" web hook, set up as the Connections page says: a hint
        # that starts the read at once.
        url = economic_notification_url(connection_for(tenant=merchant.tenant, service=Service.ECONOMIC))
        requests.post(
            f"{live_server.url}/sandbox/economic/_control/webhook",
            json={"agreementNumber": merchant.economic.agreement_number, "url": url},
            timeout=10,
        ).raise_for_status()
        economic_mark, stripe_before = merchant.economic.mark(), stripe_counts(merchant)
        merchant.stripe.update_customer(customer["id"], phone="33333333")  # its event is not delivered yet
        stripe_edit = stripe_event_for(merchant, customer["id"], "customer.updated")
        merchant.economic.edit_customer(number, telephoneAndFaxNumber="44444444", at=stamp(30))
        assert post_webhook(live_server, merchant.tenant, stripe_edit) == 200  # arrives after e-conomic's
        wait_for(
            lambda: merchant.stripe.retrieve_customer(customer["id"])["phone"] == "44444444",
            timeout=40,
            message="e-conomic's newer phone number in Stripe",
        )
        wait_for(lambda: settled(merchant, stripe_edit["id"]), timeout=20, message="Stripe's edit settled")
        assert merchant.economic.customer(number)["telephoneAndFaxNumber"] == "44444444"
        records = wait_for(
            lambda: len(to_stripe_records(merchant)) == 2 and to_stripe_records(merchant),
            timeout=10,
            message="the second record",
        )
        assert "e-conomic's change won (Stripe had “33333333”)" in records[0].message, records[0].message
        both_sides = calls_since(merchant, economic_mark, stripe_before)
        assert both_sides["economic_put"] == 0  # Stripe's older value never reached e-conomic
        assert both_sides["stripe_post"] == 1  # our one update (the test's edit is the emulator's own)
        (ARTIFACTS := ROOT / "test-artifacts").mkdir(exist_ok=True)
        (ARTIFACTS / "both-directions-calls.json").write_text(
            json.dumps({"economic_edit_to_stripe": one_edit, "both_sides_edited": both_sides}, indent=2)
        )
