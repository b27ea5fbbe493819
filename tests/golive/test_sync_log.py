"""The sync log: a detail page per record, filters by outcome and date, bulk retry of one kind of
failure, and the events view with Replay."""

from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import StripeEvent, SyncRecord
from tests.fixtures_stripe import first_account

pytestmark = pytest.mark.django_db


def _record(tenant, customer, action="failed", message="x", **fields):
    return SyncRecord.objects.for_tenant(tenant).create(
        stripe_customer_id=customer, action=action, message=message, **fields
    )


def test_the_detail_page_shows_what_was_sent_the_log_id_the_event_and_the_timing(owner_client, tenant):
    event = StripeEvent.objects.for_tenant(tenant).create(
        stripe_account=first_account(tenant),
        stripe_event_id="evt_123",
        type="customer.created",
        stripe_created=timezone.now(),
        stripe_customer_id="cus_D1",
        payload={},
    )
    record = _record(
        tenant,
        "cus_D1",
        message="e-conomic refused: name is required.",
        payload={"name": "", "currency": "DKK"},
        economic_log_id="log-abc-42",
        duration_ms=321,
        event=event,
    )
    html = owner_client.get(reverse("sync_record", args=[tenant.slug, record.pk])).content.decode()
    for text in (
        "log-abc-42",
        "321 ms",
        "evt_123",
        "customer.created",
        '<th scope="row">Currency</th><td>DKK</td>',  # a readable table, not a Python dict (issue 21)
        "Retry",
    ):
        assert text in html, text


def test_filters_by_outcome_and_date(owner_client, tenant):
    old = _record(tenant, "cus_old")
    SyncRecord.objects.for_tenant(tenant).filter(pk=old.pk).update(
        created=timezone.now() - timedelta(days=10)
    )
    _record(tenant, "cus_new")
    _record(tenant, "cus_ok", action="created")
    since = (timezone.localdate() - timedelta(days=1)).isoformat()
    html = owner_client.get(
        reverse("sync_log", args=[tenant.slug]), {"action": "failed", "since": since}
    ).content.decode()
    assert "cus_new" in html and "cus_old" not in html and "cus_ok" not in html
    junk = owner_client.get(reverse("sync_log", args=[tenant.slug]), {"since": "yesterday", "until": "²"})
    assert junk.status_code == 200 and "cus_old" in junk.content.decode()


def test_bulk_retry_retries_the_failures_of_one_kind_only(owner_client, tenant):
    _record(tenant, "cus_A", message="Customer number 1001 is already used in e-conomic: give it another.")
    _record(tenant, "cus_B", message="Customer number 2002 is already used in e-conomic: give it another.")
    _record(tenant, "cus_C", message="No e-conomic customer matched, and a new one cannot be created.")
    _record(tenant, "cus_D", message="Customer number 7 is already used in e-conomic: give it another.")
    _record(tenant, "cus_D", action="created", message="Created.")  # settled since: not retried
    page = owner_client.get(reverse("sync_failures", args=[tenant.slug]))
    kinds = page.context["kinds"]
    assert [sorted(k.customers) for k in kinds] == [["cus_A", "cus_B"], ["cus_C"]]

    with mock.patch("customers.log_views.sync_retry") as retry:
        response = owner_client.post(reverse("sync_retry_kind", args=[tenant.slug]), {"kind": kinds[0].key})
    assert response.status_code == 302
    assert sorted(c.kwargs["stripe_customer_id"] for c in retry.call_args_list) == ["cus_A", "cus_B"]


def test_the_events_view_replays_an_event(owner_client, tenant):
    event = StripeEvent.objects.for_tenant(tenant).create(
        stripe_account=first_account(tenant),
        stripe_event_id="evt_R",
        type="customer.updated",
        stripe_created=timezone.now(),
        stripe_customer_id="cus_R",
        payload={},
        status=StripeEvent.Status.FAILED,
        last_error="Ambiguous",
    )
    assert "evt_R" in owner_client.get(reverse("events", args=[tenant.slug])).content.decode()
    with mock.patch("customers.services.events.enqueue_event") as enqueue:
        response = owner_client.post(reverse("event_replay", args=[tenant.slug, event.pk]))
    assert response.status_code == 302
    enqueue.assert_called_once_with(event.pk, "", tenant.pk, event.stripe_customer_id)
    event.refresh_from_db()
    assert event.status == StripeEvent.Status.PENDING
