"""The webhook entry keeps what it verifies an endpoint's events with, and never trusts it stale."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import StripeEvent
from syncapp.models import StripeConnection
from tests.customers.webhook_helpers import as_body, customer_event, stripe_signature
from tests.factories import TenantFactory
from tests.fixtures_stripe import connect_stripe, first_account

SECRET = "whsec_test_signing_secret_0123456789"


@pytest.fixture
def webhook_tenant(db):
    tenant = TenantFactory()
    connect_stripe(tenant, "sk_test_x1234567", webhook_secret=SECRET)
    return tenant


def post(client, endpoint_id: str, event_id: str, secret: str = SECRET):
    body = as_body(customer_event("cus_A1", event_id=event_id))
    return client.post(
        reverse("stripe_webhook", args=[endpoint_id]),
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_signature(body, secret),
    )


def connection_reads(queries) -> int:
    return sum('FROM "syncapp_stripeconnection"' in q["sql"] for q in queries.captured_queries)


def test_the_second_event_of_an_endpoint_reads_no_connection(client, webhook_tenant):
    endpoint = first_account(webhook_tenant).webhook_endpoint_id
    with CaptureQueriesContext(connection) as first:
        assert post(client, endpoint, "evt_1").status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert post(client, endpoint, "evt_2").status_code == 200

    assert connection_reads(first) == 1
    assert connection_reads(second) == 0
    assert StripeEvent.objects.for_tenant(webhook_tenant).count() == 2


def test_a_secret_rolled_by_another_process_verifies_at_once(client, webhook_tenant):
    endpoint = first_account(webhook_tenant).webhook_endpoint_id
    assert post(client, endpoint, "evt_1").status_code == 200
    # Stored without this process's signal, as another web process would.
    StripeConnection.objects.for_tenant(webhook_tenant).update(webhook_secret="whsec_rolled_elsewhere")

    response = post(client, endpoint, "evt_2", secret="whsec_rolled_elsewhere")

    assert response.status_code == 200
    assert StripeEvent.objects.for_tenant(webhook_tenant).filter(stripe_event_id="evt_2").exists()


def test_a_bad_signature_is_still_refused_after_reading_again(client, webhook_tenant):
    endpoint = first_account(webhook_tenant).webhook_endpoint_id
    assert post(client, endpoint, "evt_1").status_code == 200
    assert post(client, endpoint, "evt_2", secret="whsec_wrong").status_code == 400
    assert not StripeEvent.objects.for_tenant(webhook_tenant).filter(stripe_event_id="evt_2").exists()


def test_a_removed_account_is_forgotten_at_once(client, webhook_tenant):
    account = first_account(webhook_tenant)
    endpoint = account.webhook_endpoint_id
    assert post(client, endpoint, "evt_1").status_code == 200
    StripeEvent.objects.for_tenant(webhook_tenant).delete()
    account.delete()

    assert post(client, endpoint, "evt_2").status_code == 404


def test_a_connection_saved_here_is_read_again(client, webhook_tenant):
    endpoint = first_account(webhook_tenant).webhook_endpoint_id
    assert post(client, endpoint, "evt_1").status_code == 200
    account = first_account(webhook_tenant)
    account.livemode = True
    account.save()

    response = post(client, endpoint, "evt_2")

    assert response.status_code == 400
    assert "test-mode event" in response.json()["error"]


def test_another_tenants_endpoint_keeps_its_own_secret(client, webhook_tenant):
    other = TenantFactory()
    connect_stripe(other, "sk_test_o1234567", webhook_secret="whsec_other_tenant")
    assert post(client, first_account(webhook_tenant).webhook_endpoint_id, "evt_1").status_code == 200

    refused = post(client, first_account(other).webhook_endpoint_id, "evt_2", secret=SECRET)

    assert refused.status_code == 400
    assert not StripeEvent.objects.for_tenant(other).exists()
