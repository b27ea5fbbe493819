"""The event's read brings what its sync reads first (the tenant's settings document, whether a
pause or a failure count is on record, whether the customer has an open review item): each is
still honoured, and none costs a query of its own when there is nothing to find."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import ConnectionPause, ReviewItem, SyncRecord
from customers.services.events import event_process
from sandbox.economic_api.models import Customer as EconomicCustomer
from tests.fixtures_merchant import configure
from tests.fixtures_stripe import stored_event

Action = SyncRecord.Action


def _processed(merchant, customer_id: str, event_id: str) -> SyncRecord:
    event = stored_event(merchant.tenant, event_id, customer_id)
    record = event_process(event_id=event.pk, tenant_id=merchant.tenant.pk, stripe_customer_id=customer_id)
    assert record is not None
    return record


def _twins(merchant) -> dict:
    merchant.economic.add_customer(number=11, name="Twin A/S", email="twin@firma.dk")
    merchant.economic.add_customer(number=12, name="Twin ApS", email="twin@firma.dk")
    return merchant.stripe.create_customer(email="twin@firma.dk", name="Twin")


def test_the_tenants_saved_settings_decide(merchant):
    twins = _twins(merchant)
    configure(merchant.tenant, matching={"on_ambiguous": "fail"})  # the default asks for review

    record = _processed(merchant, twins["id"], "evt_settings")

    assert record.action == Action.FAILED
    assert not ReviewItem.objects.for_tenant(merchant.tenant).exists()


def test_an_event_closes_the_customers_open_review_item(merchant):
    twins = _twins(merchant)
    assert _processed(merchant, twins["id"], "evt_review").action == Action.NEEDS_REVIEW
    EconomicCustomer.objects.filter(agreement=merchant.economic.agreement, number=12).delete()

    record = _processed(merchant, twins["id"], "evt_matched")

    assert record.action == Action.MATCHED
    item = ReviewItem.objects.for_tenant(merchant.tenant).get(stripe_customer_id=twins["id"])
    assert item.resolution == "synced" and item.resolved_number == 11 and item.record_id == record.pk


def test_failures_on_record_are_counted_again_from_zero_after_a_success(merchant):
    ConnectionPause.objects.for_tenant(merchant.tenant).create(service="economic", failures=2)
    customer = merchant.stripe.create_customer(email="ok@firma.dk", name="Ok ApS")

    assert _processed(merchant, customer["id"], "evt_ok").action == Action.CREATED

    assert ConnectionPause.objects.for_tenant(merchant.tenant).get(service="economic").failures == 0


def test_nothing_to_find_costs_no_query_of_its_own(merchant):
    # A resumed pause leaves its row without a reason or a count: it holds nothing back.
    ConnectionPause.objects.for_tenant(merchant.tenant).create(service="stripe", failures=0)
    customer = merchant.stripe.create_customer(email="new@firma.dk", name="New ApS")

    with CaptureQueriesContext(connection) as queries:
        record = _processed(merchant, customer["id"], "evt_new")

    assert record.action == Action.CREATED
    statements = [query["sql"] for query in queries.captured_queries]
    tables = ("customers_connectionpause", "customers_reviewitem", "mappings_syncsettingsdocument")
    # Each table is named once, in the event's read (as a subquery), and nowhere else.
    for table in tables:
        naming = [sql for sql in statements if f'"{table}"' in sql]
        assert len(naming) == 1 and '"customers_stripeevent"' in naming[0], table
