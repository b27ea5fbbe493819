"""Edges real merchants meet, against the emulators over HTTP: customers deleted in e-conomic,
answers nobody foresaw, Stripe's request ids, and a number written back more than once."""

from customers.models import CustomerLink, StripeEvent, SyncRecord
from customers.services import customer_sync
from customers.services.events import event_process
from sandbox.economic_api.models import Customer as EmulatedEconomicCustomer
from tests.fixtures_merchant import configure
from tests.fixtures_stripe import connect_stripe, stored_event

Action = SyncRecord.Action


def sync(merchant, customer_id, **kwargs) -> SyncRecord:
    return customer_sync(tenant=merchant.tenant, stripe_customer_id=customer_id, **kwargs)


def delete_in_economic(merchant, number: int) -> None:
    EmulatedEconomicCustomer.objects.filter(agreement=merchant.economic.agreement, number=number).delete()


def stripe_metadata(merchant) -> dict:
    """The customer's metadata as Stripe's newest customer.updated shows it."""
    return merchant.stripe.events("customer.updated")[-1]["data"]["object"]["metadata"]


def test_a_linked_customer_deleted_in_economic_is_matched_or_created_again_in_the_same_sync(merchant):
    customer = merchant.stripe.create_customer(email="moved@firma.dk", name="Moved ApS")
    first = sync(merchant, customer["id"]).economic_customer_number
    delete_in_economic(merchant, first)
    merchant.stripe.update_customer(customer["id"], name="Moved Again ApS")

    record = sync(merchant, customer["id"])

    assert record.action == Action.CREATED
    assert record.economic_customer_number is not None  # e-conomic may hand out the freed number again
    assert record.message.startswith(
        f"e-conomic no longer has customer {first}, which this Stripe customer was linked to: the link "
        "was dropped and the match rules ran again. Created e-conomic customer"
    )
    link = CustomerLink.objects.for_tenant(merchant.tenant).get(stripe_customer_id=customer["id"])
    assert link.economic_customer_number == record.economic_customer_number
    assert merchant.economic.customer(record.economic_customer_number)["name"] == "Moved Again ApS"


def test_a_deleted_customer_to_bar_that_economic_no_longer_has_is_unlinked(merchant):
    configure(merchant.tenant, sync={"on_stripe_delete": "bar"})
    customer = merchant.stripe.create_customer(email="gone@firma.dk", name="Gone")
    number = sync(merchant, customer["id"]).economic_customer_number
    delete_in_economic(merchant, number)
    merchant.stripe.delete_customer(customer["id"])

    record = sync(merchant, customer["id"])

    assert record.action == Action.SKIPPED
    assert f"e-conomic no longer has customer {number} either: the link was dropped" in record.message
    assert not CustomerLink.objects.for_tenant(merchant.tenant).filter(stripe_customer_id=customer["id"])


def test_an_unexpected_error_ends_as_a_failed_record_and_a_failed_event(merchant, monkeypatch):
    customer = merchant.stripe.create_customer(email="bug@firma.dk", name="Bug")
    event = stored_event(merchant.tenant, "evt_unexpected", customer["id"])

    def broken(**_):
        raise KeyError("customerNumber")

    monkeypatch.setattr("customers.services.sync.plan_customer", broken)
    record = event_process(event_id=event.pk)

    assert record.action == Action.FAILED
    assert record.message.startswith("Something unexpected went wrong while syncing (KeyError)")
    event.refresh_from_db()
    assert event.status == StripeEvent.Status.FAILED


def test_a_refused_stripe_call_keeps_stripes_request_id_for_support(merchant):
    connect_stripe(merchant.tenant, merchant.stripe.restricted_key(webhook_endpoints="write"))
    customer = merchant.stripe.create_customer(email="perm@firma.dk", name="Perm")

    record = sync(merchant, customer["id"])

    assert record.action == Action.FAILED
    assert "lacks a permission" in record.message
    assert record.stripe_request_id.startswith("req_")


def test_the_number_is_written_back_again_after_the_merchant_cleared_it(merchant):
    customer = merchant.stripe.create_customer(email="again@firma.dk", name="Again")
    first = sync(merchant, customer["id"], event=stored_event(merchant.tenant, "evt_1", customer["id"]))
    assert "Stored the number in Stripe metadata" in first.message
    merchant.stripe.update_customer(customer["id"], metadata={"economic_customer_number": ""})

    second = sync(merchant, customer["id"], event=stored_event(merchant.tenant, "evt_2", customer["id"]))

    assert "Stored the number in Stripe metadata" in second.message
    assert stripe_metadata(merchant) == {"economic_customer_number": str(first.economic_customer_number)}


def test_changing_the_target_key_writes_the_number_there(merchant):
    customer = merchant.stripe.create_customer(email="key@firma.dk", name="Key")
    number = sync(
        merchant, customer["id"], event=stored_event(merchant.tenant, "evt_a", customer["id"])
    ).economic_customer_number
    configure(
        merchant.tenant,
        customer_number={
            "mode": "economic",
            "stripe_field": None,
            "store_in_stripe_field": "metadata.erp_number",
        },
    )

    record = sync(merchant, customer["id"], event=stored_event(merchant.tenant, "evt_a2", customer["id"]))

    assert "Stored the number in Stripe metadata “erp_number”" in record.message
    assert stripe_metadata(merchant)["erp_number"] == str(number)


def test_a_nested_validation_error_is_recorded_with_every_message_and_its_log_id(merchant):
    configure(merchant.tenant, defaults={"customer_group_number": 999, "payment_terms_number": 998})
    customer = merchant.stripe.create_customer(email="nested@firma.dk", name="Nested")

    record = sync(merchant, customer["id"])

    assert record.action == Action.FAILED
    assert record.message.startswith("e-conomic refused the request: ")
    assert "customerGroup.customerGroupNumber: " in record.message
    assert "paymentTerms.paymentTermsNumber: " in record.message
    assert record.economic_log_id
    link = CustomerLink.objects.for_tenant(merchant.tenant).get(stripe_customer_id=customer["id"])
    assert link.create_started is None  # nothing left in flight
