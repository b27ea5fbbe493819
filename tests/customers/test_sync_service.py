"""The sync service against the emulators over real HTTP: outcomes, messages and call counts."""

import pytest

from customers.errors import TransientSyncError
from customers.models import CustomerLink, SyncRecord
from customers.services import customer_sync
from syncapp.models import EconomicConnection
from tests.fixtures_merchant import configure

Action = SyncRecord.Action


def sync(merchant, customer_id, **kwargs) -> SyncRecord:
    return customer_sync(tenant=merchant.tenant, stripe_customer_id=customer_id, **kwargs)


def numbers_from_stripe(merchant) -> None:
    configure(
        merchant.tenant,
        customer_number={
            "mode": "stripe",
            "stripe_field": "metadata.customer_number",
            "store_in_stripe_field": None,
        },
    )


def link_of(merchant, customer_id) -> CustomerLink:
    return CustomerLink.objects.for_tenant(merchant.tenant).get(stripe_customer_id=customer_id)


# --- happy paths -------------------------------------------------------------------------------


def test_customer_found_by_email_is_linked_with_one_economic_call(merchant):
    merchant.economic.add_customer(
        number=1042, name="Nordlys Design ApS", email="Bogholderi@Nordlys-Design.dk"
    )
    customer = merchant.stripe.create_customer(email="bogholderi@nordlys-design.dk", name="Nordlys")
    mark = merchant.economic.mark()

    record = sync(merchant, customer["id"])

    assert record.action == Action.MATCHED
    assert record.economic_customer_number == 1042
    assert "Found e-conomic customer 1042 by email" in record.message
    assert merchant.economic_calls(mark) == 1
    assert link_of(merchant, customer["id"]).created_by_us is False


def test_email_among_several_addresses_in_economic_matches(merchant):
    merchant.economic.add_customer(number=7, name="Two Mails", email="info@two.dk bogholderi@two.dk")
    customer = merchant.stripe.create_customer(email="bogholderi@two.dk", name="Two")
    assert sync(merchant, customer["id"]).economic_customer_number == 7


def test_unknown_customer_is_created_with_defaults_and_mapped_fields(merchant):
    customer = merchant.stripe.create_customer(
        email="anna@firma.dk",
        name="Firma ApS",
        phone="+45 12 34 56 78",
        address={
            "line1": "Vestergade 12",
            "line2": "2. th",
            "city": "Aarhus C",
            "postal_code": "8000",
            "country": "DK",
        },
    )
    mark = merchant.economic.mark()

    record = sync(merchant, customer["id"])

    assert record.action == Action.CREATED, record.message
    created = merchant.economic.customer(record.economic_customer_number)
    assert created["name"] == "Firma ApS"
    assert created["email"] == "anna@firma.dk"
    assert created["address"] == "Vestergade 12, 2. th"
    assert created["city"] == "Aarhus C"
    assert created["zip"] == "8000"
    assert created["country"] == "Denmark"
    assert created["telephoneAndFaxNumber"] == "+45 12 34 56 78"
    assert created["currency"] == "DKK"
    assert created["paymentTerms"]["paymentTermsNumber"] == 1
    assert created["customerGroup"]["customerGroupNumber"] == 1
    assert created["vatZone"]["vatZoneNumber"] == 1
    assert created["layout"]["layoutNumber"] == 19
    # One search per rule tried, plus the create.
    assert merchant.economic_calls(mark) == 2
    assert link_of(merchant, customer["id"]).created_by_us is True


def test_created_number_is_written_back_to_stripe_metadata(merchant):
    customer = merchant.stripe.create_customer(email="anna@firma.dk", name="Firma ApS")
    record = sync(merchant, customer["id"])
    stored = merchant.stripe.events("customer.updated")[-1]["data"]["object"]["metadata"]
    assert stored["economic_customer_number"] == str(record.economic_customer_number)
    assert "Stored the number in Stripe metadata" in record.message


def test_matched_number_is_written_back_too_and_only_once(merchant):
    merchant.economic.add_customer(number=55, name="Known", email="known@firma.dk")
    customer = merchant.stripe.create_customer(email="known@firma.dk", name="Known")
    sync(merchant, customer["id"])
    writes = merchant.stripe.request_count(method="POST")
    sync(merchant, customer["id"])  # already holds 55: no second write
    assert merchant.stripe.request_count(method="POST") == writes
    assert (
        merchant.stripe.events("customer.updated")[-1]["data"]["object"]["metadata"][
            "economic_customer_number"
        ]
        == "55"
    )


def test_number_is_taken_from_a_stripe_field(merchant):
    numbers_from_stripe(merchant)
    customer = merchant.stripe.create_customer(
        email="n@firma.dk", name="Numbered", metadata={"customer_number": "4711"}
    )
    record = sync(merchant, customer["id"])
    assert record.action == Action.CREATED, record.message
    assert record.economic_customer_number == 4711
    assert merchant.economic.customer(4711)["name"] == "Numbered"


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["abc", "10.5", "0", "1000000000"])
def test_number_that_is_not_a_whole_number_in_range_fails_clearly(merchant, bad):
    numbers_from_stripe(merchant)
    customer = merchant.stripe.create_customer(
        email="n@firma.dk", name="N", metadata={"customer_number": bad}
    )
    mark = merchant.economic.mark()
    record = sync(merchant, customer["id"])
    assert record.action == Action.FAILED
    # The field in words, not the stored path (issue 21).
    assert f"“{bad}”" in record.message and "metadata key ‘customer_number’" in record.message
    assert merchant.economic_calls(mark, method="POST") == 0


def test_number_already_taken_in_economic_fails_naming_it(merchant):
    numbers_from_stripe(merchant)
    merchant.economic.add_customer(number=4711, name="Someone else", email="else@firma.dk")
    customer = merchant.stripe.create_customer(
        email="n@firma.dk", name="N", metadata={"customer_number": "4711"}
    )
    record = sync(merchant, customer["id"])
    assert record.action == Action.FAILED
    assert "Customer number 4711 is already used in e-conomic" in record.message
    assert record.economic_log_id
    assert len(merchant.economic.customers()) == 1


def test_empty_match_field_fails_with_a_message_and_no_call(merchant):
    customer = merchant.stripe.create_customer(name="No Mail ApS")
    mark = merchant.economic.mark()
    record = sync(merchant, customer["id"])
    assert record.action == Action.FAILED
    assert f"Stripe customer {customer['id']} has no email, and email is your match field" in record.message
    assert merchant.economic_calls(mark) == 0


def test_empty_match_field_falls_through_to_the_next_rule(merchant):
    configure(
        merchant.tenant,
        matching={
            "rules": [
                {"stripe_field": "email", "economic_field": "email"},
                {"stripe_field": "metadata.cvr", "economic_field": "corporateIdentificationNumber"},
            ],
            "on_empty_value": "next_rule",
        },
    )
    merchant.economic.add_customer(number=31, name="CVR Co", corporateIdentificationNumber="12345678")
    customer = merchant.stripe.create_customer(name="CVR Co", metadata={"cvr": "12345678"})
    record = sync(merchant, customer["id"])
    assert record.action == Action.MATCHED, record.message
    assert record.economic_customer_number == 31
    assert "match rule 2" in record.message


def test_ambiguous_match_fails_naming_the_numbers_when_set_to_fail(merchant):
    configure(merchant.tenant, matching={"on_ambiguous": "fail"})
    merchant.economic.add_customer(number=11, name="A", email="twin@firma.dk")
    merchant.economic.add_customer(number=12, name="B", email="TWIN@firma.dk")
    customer = merchant.stripe.create_customer(email="twin@firma.dk", name="Twin")
    record = sync(merchant, customer["id"])
    assert record.action == Action.FAILED
    assert "Ambiguous match" in record.message and "11, 12" in record.message
    assert (
        not CustomerLink.objects.for_tenant(merchant.tenant)
        .filter(economic_customer_number__isnull=False)
        .exists()
    )


def test_over_long_values_are_truncated_with_a_warning(merchant):
    customer = merchant.stripe.create_customer(
        email="long@firma.dk", name="N" * 300, address={"city": "C" * 80, "country": "DK"}
    )
    record = sync(merchant, customer["id"])
    assert record.action == Action.CREATED, record.message
    created = merchant.economic.customer(record.economic_customer_number)
    assert len(created["name"]) == 255 and len(created["city"]) == 50
    assert any("300 characters" in w and "255" in w for w in record.warnings_in_english)
    assert any("80 characters" in w and "50" in w for w in record.warnings_in_english)


def test_missing_defaults_fail_before_creating(merchant):
    from mappings.document import default_document
    from mappings.services import settings_save

    settings_save(tenant=merchant.tenant, user=None, document=default_document(), source="test")
    customer = merchant.stripe.create_customer(email="new@firma.dk", name="New")
    record = sync(merchant, customer["id"])
    assert record.action == Action.FAILED
    assert "customer defaults" in record.message
    assert merchant.economic.customers() == []


# --- linked customers: update policy --------------------------------------------------------------


def test_linked_and_unchanged_makes_no_economic_call(merchant):
    customer = merchant.stripe.create_customer(email="same@firma.dk", name="Same")
    sync(merchant, customer["id"])
    mark = merchant.economic.mark()
    record = sync(merchant, customer["id"])
    assert record.action == Action.UNCHANGED
    assert merchant.economic_calls(mark) == 0


def test_our_customer_is_updated_keeping_what_the_bookkeeper_added(merchant):
    customer = merchant.stripe.create_customer(email="upd@firma.dk", name="Old Name")
    number = sync(merchant, customer["id"]).economic_customer_number
    # The bookkeeper adds a field we do not map; a PUT must carry it back (full replacement).
    from sandbox.economic_api.models import Customer

    stored = Customer.objects.get(agreement=merchant.economic.agreement, number=number)
    stored.data["website"] = "https://kept.dk"
    stored.save()
    merchant.stripe.update_customer(customer["id"], name="New Name")
    mark = merchant.economic.mark()

    record = sync(merchant, customer["id"])

    assert record.action == Action.UPDATED, record.message
    after = merchant.economic.customer(number)
    assert after["name"] == "New Name"
    assert after["website"] == "https://kept.dk"
    assert merchant.economic_calls(mark) == 2  # GET the current record, PUT it back


def test_matched_customer_is_not_updated_under_the_default_policy(merchant):
    merchant.economic.add_customer(number=20, name="Bookkeeper's Name", email="m@firma.dk")
    customer = merchant.stripe.create_customer(email="m@firma.dk", name="Stripe Name")
    sync(merchant, customer["id"])
    merchant.stripe.update_customer(customer["id"], name="Changed in Stripe")
    mark = merchant.economic.mark()
    record = sync(merchant, customer["id"])
    assert record.action == Action.UNCHANGED
    assert "only update customers this sync created" in record.message
    assert merchant.economic.customer(20)["name"] == "Bookkeeper's Name"
    assert merchant.economic_calls(mark) == 0


def test_update_policy_always_updates_matched_customers(merchant):
    configure(merchant.tenant, sync={"update_existing": "always", "on_stripe_delete": "ignore"})
    merchant.economic.add_customer(number=21, name="Old", email="a@firma.dk")
    customer = merchant.stripe.create_customer(email="a@firma.dk", name="From Stripe")
    record = sync(merchant, customer["id"])
    assert record.action == Action.MATCHED
    assert merchant.economic.customer(21)["name"] == "From Stripe"


def test_update_policy_never_leaves_even_our_customers_alone(merchant):
    configure(merchant.tenant, sync={"update_existing": "never", "on_stripe_delete": "ignore"})
    customer = merchant.stripe.create_customer(email="n@firma.dk", name="First")
    number = sync(merchant, customer["id"]).economic_customer_number
    merchant.stripe.update_customer(customer["id"], name="Second")
    assert sync(merchant, customer["id"]).action == Action.UNCHANGED
    assert merchant.economic.customer(number)["name"] == "First"


# --- deleted in Stripe ------------------------------------------------------------------------------


def test_deleted_customer_is_kept_in_economic_by_default(merchant):
    customer = merchant.stripe.create_customer(email="gone@firma.dk", name="Gone")
    number = sync(merchant, customer["id"]).economic_customer_number
    merchant.stripe.delete_customer(customer["id"])
    record = sync(merchant, customer["id"])
    assert record.action == Action.SKIPPED
    assert not merchant.economic.customer(number).get("barred")


def test_deleted_customer_is_barred_when_the_policy_says_so(merchant):
    configure(merchant.tenant, sync={"update_existing": "created_by_us", "on_stripe_delete": "bar"})
    customer = merchant.stripe.create_customer(email="gone@firma.dk", name="Gone")
    number = sync(merchant, customer["id"]).economic_customer_number
    merchant.stripe.delete_customer(customer["id"])
    record = sync(merchant, customer["id"])
    assert record.action == Action.UPDATED
    assert merchant.economic.customer(number)["barred"] is True
    assert merchant.economic.customer(number)["name"] == "Gone"


def test_customer_unknown_to_stripe_is_skipped(merchant):
    record = sync(merchant, "cus_doesnotexist")
    assert record.action == Action.SKIPPED
    assert "no customer cus_doesnotexist" in record.message


# --- e-conomic trouble --------------------------------------------------------------------------------


def test_throttling_is_transient_and_creates_nothing(merchant):
    customer = merchant.stripe.create_customer(email="t@firma.dk", name="T")
    merchant.economic.set_faults(throttle=5, retry_after=7)
    with pytest.raises(TransientSyncError) as excinfo:
        sync(merchant, customer["id"])
    assert excinfo.value.retry_after == 7
    assert merchant.economic.customers() == []
    assert not SyncRecord.objects.for_tenant(merchant.tenant).exists()


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_transient(merchant, status):
    customer = merchant.stripe.create_customer(email="t@firma.dk", name="T")
    merchant.economic.set_faults(errors=5, error_status=status)
    with pytest.raises(TransientSyncError):
        sync(merchant, customer["id"])
    merchant.economic.clear_faults()
    assert sync(merchant, customer["id"]).action == Action.CREATED


def test_revoked_grant_is_a_clear_failure(merchant):
    customer = merchant.stripe.create_customer(email="t@firma.dk", name="T")
    merchant.economic.revoke()
    record = sync(merchant, customer["id"])
    assert record.action == Action.FAILED
    assert "reconnect e-conomic" in record.message
    connection = EconomicConnection.objects.for_tenant(merchant.tenant).get()
    assert connection.status == "failing" and "reconnect e-conomic" in connection.last_error


def test_lost_create_reply_is_found_by_the_retry_not_created_twice(merchant):
    customer = merchant.stripe.create_customer(email="lost@firma.dk", name="Lost Reply")
    merchant.economic.set_faults(drop_after_commit=1)
    with pytest.raises(TransientSyncError):
        sync(merchant, customer["id"])
    assert len(merchant.economic.customers()) == 1  # e-conomic did create it

    record = sync(merchant, customer["id"])

    assert record.action == Action.CREATED
    assert "not created twice" in record.message
    assert len(merchant.economic.customers()) == 1
    assert link_of(merchant, customer["id"]).created_by_us is True


def test_dry_run_writes_nothing_anywhere(merchant):
    customer = merchant.stripe.create_customer(email="dry@firma.dk", name="Dry Run ApS")
    stripe_writes = merchant.stripe.request_count(method="POST")
    mark = merchant.economic.mark()
    record = sync(merchant, customer["id"], dry_run=True)
    assert record.dry_run and record.action == Action.CREATED
    assert record.payload["name"] == "Dry Run ApS"
    assert merchant.economic_calls(mark, method="POST") == 0
    assert merchant.economic.customers() == []
    assert merchant.stripe.request_count(method="POST") == stripe_writes
    assert not CustomerLink.objects.for_tenant(merchant.tenant).exists()


def test_lost_create_is_found_even_when_the_match_field_is_not_mapped(merchant):
    # The merchant matches on email but does not map email into e-conomic: the create still
    # carries it, so the search after a lost reply finds the customer.
    configure(merchant.tenant, field_mappings=[{"economic_field": "name", "stripe_field": "name"}])
    customer = merchant.stripe.create_customer(email="unmapped@firma.dk", name="Unmapped ApS")
    merchant.economic.set_faults(drop_after_commit=1)
    with pytest.raises(TransientSyncError):
        sync(merchant, customer["id"])
    record = sync(merchant, customer["id"])
    assert record.action == Action.CREATED
    assert len(merchant.economic.customers()) == 1
    assert merchant.economic.customers()[0]["email"] == "unmapped@firma.dk"
