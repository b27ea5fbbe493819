"""Several Stripe accounts per tenant: an existing tenant keeps working untouched. Its one Stripe
connection becomes its first named account with the same webhook URL (the endpoint registered at
Stripe keeps delivering), and its links, events, records, reviews, imports and reconciliation
carry that account."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("syncapp", "0005_invitations"), ("customers", "0008_dry_run_report")]
AFTER = [("syncapp", "0008_stripe_account_names"), ("customers", "0011_stripe_account_required")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_latest(transactional_db):
    """Whatever happens in the test, the database ends at the latest migrations."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_each_tenants_one_connection_becomes_its_first_account_with_the_same_webhook_url(back_to_latest):
    old = _migrate(BEFORE)
    Tenant, StripeConnection = (
        old.get_model("syncapp", "Tenant"),
        old.get_model("syncapp", "StripeConnection"),
    )
    connected = Tenant.objects.create(
        slug="connected", name="Connected ApS", webhook_endpoint_id="endpoint-a"
    )
    never = Tenant.objects.create(slug="never", name="Never ApS", webhook_endpoint_id="endpoint-b")
    connection_row = StripeConnection._default_manager.create(tenant=connected, status="connected")
    link = old.get_model("customers", "CustomerLink")._default_manager.create(
        tenant=connected, stripe_customer_id="cus_1", economic_customer_number=7
    )
    event = old.get_model("customers", "StripeEvent")._default_manager.create(
        tenant=connected,
        stripe_event_id="evt_1",
        type="customer.created",
        stripe_created=timezone.now(),
        payload={},
    )
    reconciliation = old.get_model("customers", "Reconciliation")._default_manager.create(
        tenant=connected, cursor=5
    )

    new = _migrate(AFTER)
    accounts = new.get_model("syncapp", "StripeConnection")._default_manager
    first = accounts.get(tenant_id=connected.pk)
    assert (first.pk, first.name, first.webhook_endpoint_id, first.status) == (
        connection_row.pk,
        "Main",
        "endpoint-a",
        "connected",
    )
    made = accounts.get(tenant_id=never.pk)  # a tenant that never connected gets its first account
    assert (made.name, made.webhook_endpoint_id, made.status) == ("Main", "endpoint-b", "not_connected")
    for model, pk in (
        ("CustomerLink", link.pk),
        ("StripeEvent", event.pk),
        ("Reconciliation", reconciliation.pk),
    ):
        row = new.get_model("customers", model)._default_manager.get(pk=pk)
        assert row.stripe_account_id == first.pk

    _migrate(BEFORE)  # and back: the URL returns to the tenant
    assert old.get_model("syncapp", "Tenant").objects.get(pk=connected.pk).webhook_endpoint_id == "endpoint-a"
