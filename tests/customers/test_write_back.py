"""The write-back of the e-conomic number and the recognition of its echo live in one module."""

import pytest
from celery import current_app
from django.utils import timezone

from customers.explanations import fact, in_english
from customers.models import StripeEvent
from customers.queue import enqueue_event
from customers.services.write_back import is_own_echo, number_write_back
from syncapp.models import Tenant
from tests.fixtures_stripe import first_account


class RecordingStripe:
    def __init__(self):
        self.writes = []

    def update_metadata(self, customer_id, metadata, *, idempotency_key):
        self.writes.append((customer_id, metadata, idempotency_key))
        return {"id": customer_id, "metadata": dict(metadata)}  # Stripe answers with the customer


def _event(type_: str, key: str | None) -> StripeEvent:
    return StripeEvent(type=type_, payload={"request": {"id": "req_1", "idempotency_key": key}})


def _write(
    stripe, customer: dict, number: int = 1042, *, field="metadata.economic_customer_number", cause="evt_1"
):
    return number_write_back(
        cause=cause,
        stripe=stripe,
        tenant=Tenant(slug="acme"),
        stripe_customer_id=customer["id"],
        customer=customer,
        field=field,
        number=number,
    )


def test_the_echo_of_our_own_write_back_is_recognised():
    stripe = RecordingStripe()
    written = _write(stripe, {"id": "cus_1", "metadata": {}})
    ((_, metadata, key),) = stripe.writes
    assert metadata == {"economic_customer_number": "1042"}
    assert written.note == fact("number_stored", key="economic_customer_number")
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
    assert stripe.writes == [] and written.note is None and written.warnings == ()


@pytest.mark.django_db
def test_without_a_broker_the_task_named_by_the_queue_runs_in_process(
    tenant, django_capture_on_commit_callbacks
):
    echo = StripeEvent.objects.for_tenant(tenant).create(
        stripe_account=first_account(tenant),
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
            enqueue_event(echo.pk, "", echo.tenant_id, echo.stripe_customer_id)
    finally:
        current_app.conf.task_always_eager = eager
    echo.refresh_from_db()
    assert echo.status == StripeEvent.Status.IGNORED


def test_the_idempotency_key_covers_what_is_written_and_why():
    stripe = RecordingStripe()
    _write(stripe, {"id": "cus_1", "metadata": {}})
    _write(stripe, {"id": "cus_1", "metadata": {}})  # the same event redelivered: the same write
    _write(stripe, {"id": "cus_1", "metadata": {}}, field="metadata.number")  # another target key
    _write(stripe, {"id": "cus_1", "metadata": {}}, 1043)  # another number
    _write(stripe, {"id": "cus_1", "metadata": {}}, cause="evt_2")  # cleared by the merchant, new event
    _write(stripe, {"id": "cus_1", "metadata": {}}, cause=None)  # a retry from the log or an import
    _write(stripe, {"id": "cus_1", "metadata": {}}, cause=None)
    keys = [key for _, _, key in stripe.writes]
    assert keys[0] == keys[1]
    assert len(set(keys)) == 6
    assert all(is_own_echo(_event("customer.updated", key)) for key in keys)


class ForgetfulStripe(RecordingStripe):
    def update_metadata(self, customer_id, metadata, *, idempotency_key):
        super().update_metadata(customer_id, metadata, idempotency_key=idempotency_key)
        return {"id": customer_id, "metadata": {}}


def test_stored_is_said_only_when_stripes_answer_has_the_number():
    written = _write(ForgetfulStripe(), {"id": "cus_1", "metadata": {}})
    assert written.note is None
    assert [in_english([warning]) for warning in written.warnings] == [
        "Could not store the number in Stripe metadata “economic_customer_number” (Stripe's answer "
        "does not show it); the next sync of this customer tries again."
    ]
