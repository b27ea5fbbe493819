"""e-conomic → Stripe (issue 24) against the emulators over real HTTP: the read of changes since
the cursor, the fields applied to Stripe, the record, no ping-pong and the conflict rule."""

from datetime import timedelta

import pytest
from django.utils import timezone

from customers.models import CustomerLink, EconomicRead, StripeEvent, SyncRecord
from customers.services import customer_sync
from customers.services.economic_reads import economic_changes_read
from customers.services.write_back import is_own_echo
from tests.fixtures_merchant import configure
from tests.fixtures_stripe import first_account

Action, Direction = SyncRecord.Action, SyncRecord.Direction


def two_way(merchant, *, address="economic_to_stripe", phone="both", rule="newest_wins", minutes=5):
    configure(
        merchant.tenant,
        sync={"update_existing": "always", "conflict_rule": rule, "economic_read_minutes": minutes},
        field_mappings=[
            {"economic_field": "name", "stripe_field": "name", "keep_updated": True},
            {"economic_field": "email", "stripe_field": "email", "keep_updated": True},
            {
                "economic_field": "address",
                "stripe_field": "address.line1",
                "keep_updated": True,
                "direction": address,
            },
            {
                "economic_field": "telephoneAndFaxNumber",
                "stripe_field": "phone",
                "keep_updated": True,
                "direction": phone,
            },
        ],
    )


def stamp(seconds: int) -> str:
    """A lastUpdated a little after now, as e-conomic writes it (whole seconds)."""
    return (timezone.now() + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def linked(merchant):
    """A Stripe customer created in e-conomic by the sync, and the read's cursor set."""
    two_way(merchant)
    customer = merchant.stripe.create_customer(
        email="anna@firma.dk", name="Firma ApS", phone="11111111", address={"line1": "Old street 1"}
    )
    record = customer_sync(tenant=merchant.tenant, stripe_customer_id=customer["id"])
    assert record.action == Action.CREATED
    assert economic_changes_read(tenant=merchant.tenant) == 0  # the first read only sets the cursor
    return customer["id"], record.economic_customer_number


def to_stripe_records(merchant):
    return list(SyncRecord.objects.for_tenant(merchant.tenant).filter(direction=Direction.TO_STRIPE))


def test_a_bookkeepers_fix_reaches_stripe_once_and_its_echo_costs_nothing(merchant, linked):
    customer_id, number = linked
    merchant.economic.edit_customer(number, address="New street 2", at=stamp(2))
    economic_mark, stripe_before = merchant.economic.mark(), merchant.stripe.request_count()

    assert economic_changes_read(tenant=merchant.tenant) == 1

    assert merchant.stripe.retrieve_customer(customer_id)["address"]["line1"] == "New street 2"
    (record,) = to_stripe_records(merchant)
    assert record.action == Action.UPDATED_IN_STRIPE
    assert record.message == f"Updated in Stripe from e-conomic customer {number}: address."
    assert merchant.economic_calls(economic_mark) == 1  # the read of changes, one page
    assert merchant.stripe.request_count() - stripe_before == 2  # the customer read, the update
    # The update's own customer.updated carries our key: event processing leaves it alone.
    echo = merchant.stripe.events("customer.updated")[-1]
    assert is_own_echo(StripeEvent(type="customer.updated", payload=echo))

    # Nothing changed since: one call to e-conomic, none to Stripe, no record.
    economic_mark, stripe_before = merchant.economic.mark(), merchant.stripe.request_count()
    assert economic_changes_read(tenant=merchant.tenant) == 0
    assert merchant.economic_calls(economic_mark) == 1
    assert merchant.stripe.request_count() == stripe_before
    assert len(to_stripe_records(merchant)) == 1


def test_the_stripe_side_sync_never_writes_a_field_set_to_flow_from_economic(merchant, linked):
    customer_id, number = linked
    merchant.economic.edit_customer(number, address="Bookkeeper's fix 3", at=stamp(2))
    merchant.stripe.update_customer(customer_id, name="Firma Renamed ApS")

    record = customer_sync(tenant=merchant.tenant, stripe_customer_id=customer_id)

    assert record.action == Action.UPDATED
    assert merchant.economic.customer(number)["name"] == "Firma Renamed ApS"
    assert merchant.economic.customer(number)["address"] == "Bookkeeper's fix 3"


def test_our_write_to_economic_coming_back_in_the_read_costs_no_stripe_call(merchant, linked):
    customer_id, number = linked
    merchant.stripe.update_customer(customer_id, phone="22222222")
    assert customer_sync(tenant=merchant.tenant, stripe_customer_id=customer_id).action == Action.UPDATED
    assert merchant.economic.customer(number)["telephoneAndFaxNumber"] == "22222222"
    stripe_before = merchant.stripe.request_count()

    economic_changes_read(tenant=merchant.tenant)  # e-conomic's lastUpdated moved: our own PUT

    assert merchant.stripe.request_count() == stripe_before
    assert to_stripe_records(merchant) == []


def test_both_sides_edited_between_syncs_newest_wins_on_both_sides(merchant, linked):
    customer_id, number = linked
    account = first_account(merchant.tenant)
    # Stripe's edit first (its event stored, not yet processed), then the bookkeeper's, later.
    merchant.stripe.update_customer(customer_id, phone="33333333")
    StripeEvent.objects.for_tenant(merchant.tenant).create(
        stripe_account=account,
        stripe_event_id="evt_phone",
        type="customer.updated",
        stripe_created=timezone.now(),
        stripe_customer_id=customer_id,
        payload={},
    )
    merchant.economic.edit_customer(number, telephoneAndFaxNumber="44444444", at=stamp(30))

    economic_changes_read(tenant=merchant.tenant)

    assert merchant.stripe.retrieve_customer(customer_id)["phone"] == "44444444"
    (record,) = to_stripe_records(merchant)
    assert "e-conomic's change won (Stripe had “33333333”)" in record.message
    # The Stripe event's sync, when it runs, finds both sides agreeing: e-conomic is not written.
    economic_mark = merchant.economic.mark()
    customer_sync(tenant=merchant.tenant, stripe_customer_id=customer_id)
    assert merchant.economic.customer(number)["telephoneAndFaxNumber"] == "44444444"
    assert merchant.economic_calls(economic_mark, method="PUT") <= 1
    assert merchant.economic.customer(number)["telephoneAndFaxNumber"] == "44444444"


def test_both_sides_edited_stripe_newer_wins_and_the_log_names_economics_value(merchant, linked):
    customer_id, number = linked
    account = first_account(merchant.tenant)
    merchant.economic.edit_customer(number, telephoneAndFaxNumber="55555555", at=stamp(-30))
    merchant.stripe.update_customer(customer_id, phone="66666666")
    StripeEvent.objects.for_tenant(merchant.tenant).create(
        stripe_account=account,
        stripe_event_id="evt_phone_2",
        type="customer.updated",
        stripe_created=timezone.now(),
        stripe_customer_id=customer_id,
        payload={},
    )

    record = customer_sync(tenant=merchant.tenant, stripe_customer_id=customer_id)

    assert merchant.economic.customer(number)["telephoneAndFaxNumber"] == "66666666"
    assert "Stripe's change won (e-conomic had “55555555”)" in record.message
    stripe_before = merchant.stripe.request_count()
    economic_changes_read(tenant=merchant.tenant)  # sees our PUT: in step, nothing to write
    assert merchant.stripe.retrieve_customer(customer_id)["phone"] == "66666666"
    assert merchant.stripe.request_count() == stripe_before  # our own PUT coming back: no call


def test_equal_timestamps_are_read_again_but_applied_once(merchant, linked):
    customer_id, number = linked
    second = stamp(5)
    merchant.economic.edit_customer(number, address="Same second 1", at=second)
    assert economic_changes_read(tenant=merchant.tenant) == 1
    read = EconomicRead.objects.for_tenant(merchant.tenant).get()
    assert (read.cursor, read.seen_at_cursor) == (second, [number])
    # A second customer changed within the same second after the first read: $gte sees it.
    other = merchant.stripe.create_customer(email="bo@firma.dk", name="Bo", address={"line1": "A"})
    other_number = customer_sync(
        tenant=merchant.tenant, stripe_customer_id=other["id"]
    ).economic_customer_number
    merchant.economic.edit_customer(other_number, address="Same second 2", at=second)

    assert economic_changes_read(tenant=merchant.tenant) == 1  # the other only; the first is skipped
    assert merchant.stripe.retrieve_customer(other["id"])["address"]["line1"] == "Same second 2"
    assert len(to_stripe_records(merchant)) == 2


def test_the_customers_of_the_first_reads_own_second_are_its_past_not_changes(merchant):
    """Linked customers all updated within one second (an import in e-conomic; the chaos run's
    seed): the first read's cursor is that second, and the next read, which sees them again
    (`$gte:`), writes none of their addresses to Stripe."""
    from sandbox.economic_api.models import Customer

    two_way(merchant)
    merchant.economic.add_customers(3)
    for n in (1, 2, 3):
        customer = merchant.stripe.create_customer(email=f"kunde{n}@example.dk", name=f"Kunde {n}")
        assert (
            customer_sync(tenant=merchant.tenant, stripe_customer_id=customer["id"]).economic_customer_number
            == n
        )
    Customer.objects.filter(agreement=merchant.economic.agreement).update(last_updated=timezone.now())
    assert economic_changes_read(tenant=merchant.tenant) == 0  # the first read only sets the cursor
    assert sorted(EconomicRead.objects.for_tenant(merchant.tenant).get().seen_at_cursor) == [1, 2, 3]
    economic_mark, stripe_before = merchant.economic.mark(), merchant.stripe.request_count()

    assert economic_changes_read(tenant=merchant.tenant) == 0

    assert merchant.stripe.request_count() == stripe_before
    assert to_stripe_records(merchant) == []
    assert merchant.economic_calls(economic_mark) == 1  # the read of changes, one page


def test_a_refused_stripe_key_is_recorded_as_a_failure_of_this_direction(merchant, linked):
    customer_id, number = linked
    merchant.economic.edit_customer(number, address="Fix 9", at=stamp(2))
    link = CustomerLink.objects.for_tenant(merchant.tenant).get(stripe_customer_id=customer_id)
    link.stripe_account.api_key = "sk_test_revoked"
    link.stripe_account.save()

    economic_changes_read(tenant=merchant.tenant)

    (record,) = to_stripe_records(merchant)
    assert record.action == Action.FAILED
    assert record.message.startswith(f"Could not update Stripe from e-conomic customer {number}. Stripe did")


def test_a_throttled_read_pauses_the_tenant_and_keeps_its_cursor(merchant, linked):
    from customers.errors import TransientSyncError
    from customers.models import ConnectionPause

    customer_id, number = linked
    merchant.economic.edit_customer(number, address="Fix 10", at=stamp(2))
    before = EconomicRead.objects.for_tenant(merchant.tenant).get().cursor
    merchant.economic.set_faults(throttle=1, retry_after=30)

    with pytest.raises(TransientSyncError):
        economic_changes_read(tenant=merchant.tenant)

    pause = ConnectionPause.objects.for_tenant(merchant.tenant).get(service="economic")
    assert pause.active
    assert EconomicRead.objects.for_tenant(merchant.tenant).get().cursor == before
    merchant.economic.clear_faults()
    economic_mark = merchant.economic.mark()
    assert economic_changes_read(tenant=merchant.tenant) == 0  # paused: no call at all
    assert merchant.economic_calls(economic_mark) == 0
