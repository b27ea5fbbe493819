"""The Prometheus endpoint: refused without its token; counts syncs, calls and events; JSON logs."""

import json
import logging

import pytest
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from customers.errors import TransientSyncError
from customers.models import StripeEvent
from customers.services import customer_sync, event_store
from syncapp.jsonlog import JsonFormatter
from tests.fixtures_stripe import first_account

from .test_retention import stripe_event

TOKEN = "metrics-token-for-tests-0123456789"


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get(reverse("metrics"), HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.django_db
def test_the_endpoint_refuses_without_its_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get(reverse("metrics")).status_code == 401
    assert client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer ").status_code == 401
    settings.METRICS_TOKEN = TOKEN
    assert client.get(reverse("metrics")).status_code == 401
    assert client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get(reverse("metrics"), HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_a_sync_is_counted_with_its_calls_and_duration(client, merchant, settings, caplog):
    settings.METRICS_TOKEN = TOKEN
    caplog.set_level(logging.INFO, logger="customers.sync")
    customer = merchant.stripe.create_customer(email="counted@firma.dk", name="Counted ApS")
    before = scrape(client)

    record = customer_sync(tenant=merchant.tenant, stripe_customer_id=customer["id"])
    after = scrape(client)

    assert record.action == "created"
    grew = {key: after[key] - before.get(key, 0.0) for key in after}
    assert value(grew, "syncapp_syncs_total", action="created") == 1
    assert value(grew, "syncapp_sync_duration_seconds_count", action="created") == 1
    assert value(grew, "syncapp_sync_duration_seconds_bucket", action="created", le="+Inf") == 1
    assert value(grew, "syncapp_api_calls_total", service="economic", method="POST", status="201") == 1
    assert value(grew, "syncapp_api_calls_total", service="stripe", method="GET", status="200") >= 1
    (line,) = [r for r in caplog.records if r.name == "customers.sync"]
    assert (line.tenant, line.customer, line.action) == (merchant.tenant.slug, customer["id"], "created")
    assert "counted@firma.dk" not in JsonFormatter().format(line)
    assert (
        "counted@firma.dk"
        not in client.get(reverse("metrics"), HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    )


def test_failed_calls_are_counted_by_status(client, merchant, settings):
    settings.METRICS_TOKEN = TOKEN
    customer = merchant.stripe.create_customer(email="t@firma.dk", name="T")
    merchant.economic.set_faults(throttle=1, retry_after=1)
    before = scrape(client)
    with pytest.raises(TransientSyncError):
        customer_sync(tenant=merchant.tenant, stripe_customer_id=customer["id"])
    after = scrape(client)
    key = ("syncapp_api_calls_total", (("method", "GET"), ("service", "economic"), ("status", "429")))
    assert after.get(key, 0) - before.get(key, 0) == 1


@pytest.mark.django_db
def test_gauges_show_pending_events_and_the_oldest_ones_age(client, settings, tenant):
    settings.METRICS_TOKEN = TOKEN
    event, _ = event_store(
        tenant=tenant, stripe_account=first_account(tenant), event=stripe_event("evt_waiting")
    )
    StripeEvent.all_tenants.filter(pk=event.pk).update(received=event.received.replace(year=2025))
    samples = scrape(client)
    assert value(samples, "syncapp_stripe_events", status="pending") == 1
    assert value(samples, "syncapp_stripe_events", status="failed") == 0
    assert value(samples, "syncapp_oldest_pending_event_age_seconds") > 3600
    assert ("syncapp_celery_queue_length", (("queue", "celery"),)) in samples


def test_json_log_lines_carry_ids_and_no_personal_data():
    record = logging.LogRecord("customers.sync", logging.INFO, __file__, 1, "sync %s", ("created",), None)
    record.tenant, record.customer, record.event, record.action = "merchant-1", "cus_A", "evt_1", "created"
    record.email = "anna@firma.dk"  # not a context key: never written

    line = json.loads(JsonFormatter().format(record))

    assert line["message"] == "sync created"
    assert (line["tenant"], line["customer"], line["event"]) == ("merchant-1", "cus_A", "evt_1")
    assert "email" not in line and "anna@firma.dk" not in json.dumps(line)


@pytest.mark.django_db
def test_one_request_line_names_the_route_and_tenant_never_the_query(owner_client, tenant, settings, caplog):
    settings.MIDDLEWARE = ["syncapp.jsonlog.RequestLogMiddleware", *settings.MIDDLEWARE]
    caplog.set_level(logging.INFO, logger="syncapp.requests")

    owner_client.get(reverse("sync_log", args=[tenant.slug]) + "?q=anna@firma.dk")

    (line,) = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "syncapp.requests"]
    assert line["route"] == "t/<slug:slug>/sync/" and line["status"] == 200
    assert line["tenant"] == tenant.slug and line["method"] == "GET"
    assert "anna@firma.dk" not in json.dumps(line)
