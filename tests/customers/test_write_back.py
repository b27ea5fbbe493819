"""The write-back of the e-conomic number and the recognition of its echo live in one module."""

import pytest
from celery import current_app
from django.utils import timezone

from customers.models import StripeEvent
from customers.queue import enqueue_event
from customers.services.write_back import is_own_echo, number_write_back
from syncapp.models import Tenant


class RecordingStripe:
    def __init__(self):
        self.writes = []

    def update_metadata(self, customer_id, metadata, *, idempotency_key):
        self.writes.append((customer_id, metadata, idempotency_key))
        return {}


def _event(type_: str, key: str | None) -> StripeEvent:
    return StripeEvent(type=type_, payload={"request": {"id": "req_1", "idempotency_key": key}})


def _write(stripe, customer: dict, number: int = 1042):
    return number_write_back(
        stripe=stripe,
        tenant=Tenant(slug="acme"),
        stripe_customer_id=customer["id"],
        customer=customer,
        field="metadata.economic_customer_number",
        number=number,
    )


def test_the_echo_of_our_own_write_back_is_recognised():
    stripe = RecordingStripe()
    written = _write(stripe, {"id": "cus_1", "metadata": {}})
    ((_, metadata, key),) = stripe.writes
    assert metadata == {"economic_customer_number": "1042"}
    assert written.note == " Stored the number in Stripe metadata “economic_customer_number”."
    assert is_own_echo(_event("customer.updated", key))


@pytest.mark.parametrize(
    "event",
    [
        _event("customer.updated", None),
        _event("customer.updated", "somebody-elses-key"),
        _event("customer.created", "econ-number-acme-cus_1-1042"),
        StripeEvent(type="customer.updated", payload={"id": "evt_1"}),
    ],
)
def test_other_events_are_not_our_echo(event):
    assert not is_own_echo(event)


def test_a_number_already_in_stripe_is_not_written_again():
    stripe = RecordingStripe()
    written = _write(stripe, {"id": "cus_1", "metadata": {"economic_customer_number": "1042"}})
    assert stripe.writes == [] and written.note == "" and written.warnings == ()


@pytest.mark.django_db
def test_without_a_broker_the_task_named_by_the_queue_runs_in_process(
    tenant, django_capture_on_commit_callbacks
):
    echo = StripeEvent.objects.for_tenant(tenant).create(
        stripe_event_id="evt_echo",
        type="customer.updated",
        stripe_created=timezone.now(),
        stripe_customer_id="cus_1",
        payload={"request": {"idempotency_key": "econ-number-acme-cus_1-7"}},
    )
    # `make run` has no broker: CELERY_TASK_ALWAYS_EAGER, and a task sent by name must still run.
    eager, current_app.conf.task_always_eager = current_app.conf.task_always_eager, True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            enqueue_event(echo.pk)
    finally:
        current_app.conf.task_always_eager = eager
    echo.refresh_from_db()
    assert echo.status == StripeEvent.Status.IGNORED
