"""The webhook entry: verify the signature on the raw body, store once, enqueue after commit."""

import socket
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

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


def _post(client, tenant, body: bytes, signature: str | None):
    headers = {"HTTP_STRIPE_SIGNATURE": signature} if signature is not None else {}
    return client.post(
        reverse("stripe_webhook", args=[first_account(tenant).webhook_endpoint_id]),
        body,
        content_type="application/json",
        **headers,
    )


def test_valid_event_is_stored_and_enqueued_after_commit(
    client, webhook_tenant, django_capture_on_commit_callbacks
):
    body = as_body(customer_event("cus_A1", event_id="evt_1", type="customer.created"))
    with django_capture_on_commit_callbacks() as callbacks:
        response = _post(client, webhook_tenant, body, stripe_signature(body, SECRET))
    assert response.status_code == 200
    event = StripeEvent.objects.for_tenant(webhook_tenant).get()
    assert (event.stripe_event_id, event.type, event.status) == ("evt_1", "customer.created", "pending")
    assert event.stripe_customer_id == "cus_A1"
    assert len(callbacks) == 1


def test_redelivered_event_is_a_200_no_op(client, webhook_tenant, django_capture_on_commit_callbacks):
    body = as_body(customer_event("cus_A1", event_id="evt_1"))
    _post(client, webhook_tenant, body, stripe_signature(body, SECRET))
    with django_capture_on_commit_callbacks() as callbacks:
        response = _post(client, webhook_tenant, body, stripe_signature(body, SECRET))
    assert response.status_code == 200
    assert response.json()["duplicate"] is True
    assert StripeEvent.objects.for_tenant(webhook_tenant).count() == 1
    assert callbacks == []


def test_bad_signature_is_400_and_stores_nothing(client, webhook_tenant):
    body = as_body(customer_event("cus_A1", event_id="evt_1"))
    response = _post(client, webhook_tenant, body, stripe_signature(body, "whsec_wrong"))
    assert response.status_code == 400
    assert not StripeEvent.objects.for_tenant(webhook_tenant).exists()


def test_missing_signature_is_400(client, webhook_tenant):
    body = as_body(customer_event("cus_A1", event_id="evt_1"))
    assert _post(client, webhook_tenant, body, None).status_code == 400


def test_stale_signature_is_400(client, webhook_tenant):
    body = as_body(customer_event("cus_A1", event_id="evt_1"))
    stale = stripe_signature(body, SECRET, timestamp=int(time.time()) - 301)
    assert _post(client, webhook_tenant, body, stale).status_code == 400
    assert not StripeEvent.objects.for_tenant(webhook_tenant).exists()


def test_body_changed_after_signing_is_400(client, webhook_tenant):
    body = as_body(customer_event("cus_A1", event_id="evt_1"))
    signature = stripe_signature(body, SECRET)
    assert _post(client, webhook_tenant, body.replace(b"cus_A1", b"cus_B2"), signature).status_code == 400


def test_another_tenants_secret_is_rejected(client, webhook_tenant):
    other = TenantFactory()
    connect_stripe(other, "sk_test_o1234567", webhook_secret="whsec_other_tenant")
    body = as_body(customer_event("cus_A1", event_id="evt_1"))
    response = _post(client, webhook_tenant, body, stripe_signature(body, "whsec_other_tenant"))
    assert response.status_code == 400
    assert not StripeEvent.all_tenants.exists()


def test_previous_secret_still_verifies_while_stripe_rolls_it(client, webhook_tenant):
    conn = StripeConnection.objects.for_tenant(webhook_tenant).get()
    conn.previous_webhook_secret, conn.webhook_secret = SECRET, "whsec_new_secret_987"
    conn.save()
    body = as_body(customer_event("cus_A1", event_id="evt_1"))
    assert _post(client, webhook_tenant, body, stripe_signature(body, SECRET)).status_code == 200


def test_malformed_json_with_a_valid_signature_is_400(client, webhook_tenant):
    body = b'{"id": "evt_1", "type": '
    assert _post(client, webhook_tenant, body, stripe_signature(body, SECRET)).status_code == 400
    assert not StripeEvent.objects.for_tenant(webhook_tenant).exists()


def test_body_over_one_megabyte_is_413(client, webhook_tenant):
    event = customer_event("cus_A1", event_id="evt_big")
    event["padding"] = "x" * (2 * 1024 * 1024)
    body = as_body(event)
    assert _post(client, webhook_tenant, body, stripe_signature(body, SECRET)).status_code == 413
    assert not StripeEvent.objects.for_tenant(webhook_tenant).exists()


def test_unknown_endpoint_id_is_404(client, db):
    body = as_body(customer_event("cus_A1", event_id="evt_1"))
    response = client.post(
        reverse("stripe_webhook", args=["no-such-endpoint"]),
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_signature(body, SECRET),
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "event_type", ["invoice.paid", "customer.subscription.updated", "customer.tax_id.created"]
)
def test_other_event_types_are_stored_as_ignored(
    client, webhook_tenant, event_type, django_capture_on_commit_callbacks
):
    body = as_body(customer_event("cus_A1", event_id="evt_other", type=event_type))
    with django_capture_on_commit_callbacks() as callbacks:
        response = _post(client, webhook_tenant, body, stripe_signature(body, SECRET))
    assert response.status_code == 200
    assert StripeEvent.objects.for_tenant(webhook_tenant).get().status == "ignored"
    assert callbacks == []


def test_tenant_without_a_signing_secret_is_told_clearly(client, db):
    tenant = TenantFactory()
    body = as_body(customer_event("cus_A1", event_id="evt_1"))
    response = _post(client, tenant, body, stripe_signature(body, SECRET))
    assert response.status_code == 400
    assert "signing secret" in response.json()["error"]


def test_webhook_makes_no_outbound_call_and_one_insert(
    client, webhook_tenant, monkeypatch, django_assert_max_num_queries
):
    def no_network(*args, **kwargs):
        raise AssertionError("the webhook path must not open a network connection")

    body = as_body(customer_event("cus_A1", event_id="evt_1"))
    signature = stripe_signature(body, SECRET)
    monkeypatch.setattr(socket, "create_connection", no_network)
    # Tenant lookup, connection lookup, savepoint, insert, savepoint release.
    with django_assert_max_num_queries(5):
        response = _post(client, webhook_tenant, body, signature)
    assert response.status_code == 200


def test_a_replaced_secret_stops_verifying_24_hours_after_the_roll(client, webhook_tenant):
    conn = StripeConnection.objects.for_tenant(webhook_tenant).get()
    conn.previous_webhook_secret, conn.webhook_secret = SECRET, "whsec_new_secret_987"
    conn.previous_webhook_secret_until = timezone.now() - timedelta(seconds=1)
    conn.save()
    body = as_body(customer_event("cus_A1", event_id="evt_1"))
    assert _post(client, webhook_tenant, body, stripe_signature(body, SECRET)).status_code == 400
    assert not StripeEvent.objects.for_tenant(webhook_tenant).exists()


@pytest.mark.parametrize(
    ("connection_livemode", "event_fields", "reason"),
    [
        (
            False,
            {"livemode": True},
            "A live-mode event cannot be for this merchant's test-mode Stripe connection.",
        ),
        (
            True,
            {"livemode": False},
            "A test-mode event cannot be for this merchant's live-mode Stripe connection.",
        ),
        (
            False,
            {"account": "acct_someone_else"},
            "The event belongs to another Stripe account (acct_someone_else).",
        ),
    ],
)
def test_an_event_that_does_not_fit_the_connection_is_refused(
    client, webhook_tenant, connection_livemode, event_fields, reason
):
    StripeConnection.objects.for_tenant(webhook_tenant).update(livemode=connection_livemode)
    body = as_body({**customer_event("cus_A1", event_id="evt_1"), **event_fields})
    response = _post(client, webhook_tenant, body, stripe_signature(body, SECRET))
    assert response.status_code == 400
    assert response.json() == {"error": reason}
    assert not StripeEvent.objects.for_tenant(webhook_tenant).exists()
