"""Retention: old copies purged, exactly those, in batches, idempotently; the log still explains."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import StripeEvent, SyncRecord
from customers.privacy.retention import (
    months_before,
    personal_data_purge,
    retention_set,
    sync_record_retention_months,
)
from customers.services import event_store
from customers.tasks import purge_personal_data
from tests.customers.webhook_helpers import as_body, stripe_signature
from tests.factories import MembershipFactory, StripeConnectionFactory, TenantFactory
from tests.fixtures_stripe import first_account

from .helpers import aged, record

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def stripe_event(event_id: str, customer_id: str = "cus_A", *, email: str = "anna@firma.dk") -> dict:
    return {
        "id": event_id,
        "object": "event",
        "type": "customer.updated",
        "created": int(NOW.timestamp()),
        "livemode": False,
        "data": {"object": {"id": customer_id, "object": "customer", "email": email, "name": "Anna Berg"}},
        "request": {"id": None, "idempotency_key": None},
    }


def stored(tenant, event_id, *, days_old: int, status=StripeEvent.Status.PROCESSED, **kwargs) -> StripeEvent:
    event, _ = event_store(
        tenant=tenant, stripe_account=first_account(tenant), event=stripe_event(event_id, **kwargs)
    )
    StripeEvent.all_tenants.filter(pk=event.pk).update(status=status)
    return aged(event, NOW - timedelta(days=days_old))


def test_event_payloads_older_than_30_days_are_purged_and_the_rows_kept(tenant):
    old = stored(tenant, "evt_old", days_old=31)
    young = stored(tenant, "evt_young", days_old=29)
    pending = stored(tenant, "evt_pending", days_old=40, status=StripeEvent.Status.PENDING)

    report = personal_data_purge(now=NOW)

    assert report.event_payloads == 1
    old.refresh_from_db(), young.refresh_from_db(), pending.refresh_from_db()
    assert old.payload == {} and old.stripe_email == "" and old.payload_purged_at == NOW
    assert (old.stripe_event_id, old.type, old.status, old.stripe_customer_id) == (
        "evt_old",
        "customer.updated",
        "processed",
        "cus_A",
    )
    assert young.payload["data"]["object"]["email"] == "anna@firma.dk" and young.payload_purged_at is None
    assert young.stripe_email == "anna@firma.dk"
    # Still waiting to be processed: its payload goes once it is done and old.
    assert pending.payload_purged_at is None


def test_a_redelivered_purged_event_is_still_a_no_op(tenant, client):
    connection_row = StripeConnectionFactory(tenant=tenant)
    stored(tenant, "evt_1", days_old=31)
    personal_data_purge(now=NOW)
    body = as_body(stripe_event("evt_1"))

    response = client.post(
        reverse("stripe_webhook", args=[first_account(tenant).webhook_endpoint_id]),
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_signature(body, connection_row.webhook_secret),
    )

    assert response.status_code == 200 and response.json()["duplicate"] is True
    event = StripeEvent.objects.for_tenant(tenant).get()
    assert event.payload == {} and event.status == StripeEvent.Status.PROCESSED


def test_sync_records_keep_outcome_ids_and_numbers_but_lose_personal_data_after_13_months(tenant):
    old = aged(record(tenant), months_before(NOW, 13) - timedelta(hours=1))
    young = aged(record(tenant, stripe_customer_id="cus_B"), months_before(NOW, 13) + timedelta(hours=1))

    assert personal_data_purge(now=NOW).sync_records == 1

    old.refresh_from_db(), young.refresh_from_db()
    assert old.stripe_email == "" and old.payload is None
    assert "anna@firma.dk" not in old.message and "Anna Berg" not in str(old.warnings)
    assert old.message == "Found e-conomic customer 1042 by email “[removed]” (match rule 1) and linked it."
    assert (old.action, old.stripe_customer_id, old.economic_customer_number, old.economic_log_id) == (
        "matched",
        "cus_A",
        1042,
        "log-1",
    )
    assert old.duration_ms == 120 and old.personal_data_removed_reason == "retention"
    assert young.stripe_email == "anna@firma.dk" and young.payload is not None


def test_a_tenant_may_keep_the_sync_log_shorter_but_not_below_the_minimum(tenant):
    other = TenantFactory()
    retention_set(tenant=tenant, months=3)
    mine = aged(record(tenant), months_before(NOW, 4))
    theirs = aged(record(other), months_before(NOW, 4))

    personal_data_purge(now=NOW)

    mine.refresh_from_db(), theirs.refresh_from_db()
    assert mine.personal_data_removed_at is not None
    assert theirs.personal_data_removed_at is None
    assert sync_record_retention_months(tenant=tenant) == 3
    with pytest.raises(ValidationError):
        retention_set(tenant=tenant, months=2)
    with pytest.raises(ValidationError):
        retention_set(tenant=tenant, months=14)


def test_the_purge_is_idempotent_and_works_in_batches_without_a_query_per_row(tenant):
    for n in range(25):
        stored(tenant, f"evt_{n}", days_old=60)
        aged(record(tenant, stripe_customer_id=f"cus_{n}"), months_before(NOW, 14))

    with CaptureQueriesContext(connection) as queries:
        report = personal_data_purge(now=NOW, batch_size=10)
    again = personal_data_purge(now=NOW, batch_size=10)

    assert (report.event_payloads, report.sync_records) == (25, 25)
    assert (again.event_payloads, again.sync_records) == (0, 0)
    # 3 batches of each kind, a few queries each, whatever the row count.
    assert len(queries) < 25
    assert not SyncRecord.objects.for_tenant(tenant).filter(personal_data_removed_at__isnull=True).exists()


def test_the_beat_task_runs_the_purge(tenant):
    stored(tenant, "evt_old", days_old=45)
    assert purge_personal_data() == {
        "event_payloads": 1,
        "sync_records": 0,
        "report_rows": 0,
        "create_claims": 0,
    }


def test_the_sync_log_says_what_was_removed_and_after_how_long(owner_client, tenant):
    aged(record(tenant), months_before(NOW, 14))
    personal_data_purge(now=NOW)

    page = owner_client.get(reverse("sync_log", args=[tenant.slug])).content.decode()

    assert "Personal data removed after 13 months" in page
    assert "anna@firma.dk" not in page and "cus_A" in page and "1042" in page


def test_an_admin_chooses_a_shorter_period_on_the_sync_log_page(client, tenant):
    client.force_login(MembershipFactory(tenant=tenant, role="admin").user)
    url = reverse("sync_retention", args=[tenant.slug])

    client.post(url, {"months": "6"})
    assert sync_record_retention_months(tenant=tenant) == 6
    client.post(url, {"months": "1"})
    client.post(url, {"months": "junk"})
    assert sync_record_retention_months(tenant=tenant) == 6
    page = client.get(reverse("sync_log", args=[tenant.slug])).content.decode()
    assert '<option value="6" selected>6 months</option>' in page
