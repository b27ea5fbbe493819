"""The webhook's stored event and the emulators' request logs are written by syncapp/rows.py, not
Model.objects.create: the rows must be the ones create would write, field for field (defaults and
`auto_now_add` ones included), and the instance returned the one create returns."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from customers.models import StripeEvent
from sandbox.economic_api.models import RequestLogEntry
from sandbox.economic_api.seed import create_agreement
from sandbox.stripe_api.models import Account, RequestLog
from syncapp.connections.selectors import stripe_account_first
from syncapp.rows import insert

pytestmark = pytest.mark.django_db


def _fields(row) -> dict:
    return {
        f.attname: getattr(row, f.attname)
        for f in row._meta.concrete_fields
        if f.attname not in ("id", "created")
    }


@pytest.mark.parametrize("with_owner", [True, False])
def test_insert_writes_the_row_create_writes(with_owner):
    account = Account.objects.create(name="Rows") if with_owner else None
    agreement = create_agreement() if with_owner else None
    before = timezone.now()
    stripe = {
        "account": account,
        "request_id": "req_1",
        "method": "POST",
        "path": "/v1/customers/cus_1",
        "status": 409,
        "idempotency_key": "k" * 255,
        "replayed": True,
        "fault": "rate_limit 429",
    }
    economic = {
        "agreement": agreement,
        "method": "GET",
        "path": "/sandbox/economic/customers",
        "query": "filter=email%24eq%3Aa%40b.dk",
        "status": 200,
    }  # fault, duration_ms: defaults
    for model, values in ((RequestLog, stripe), (RequestLogEntry, economic)):
        created = model.objects.create(**values)
        insert(model, **values)
        written = model.objects.exclude(pk=created.pk).get()
        assert _fields(written) == _fields(created)
        assert before <= written.created <= timezone.now() + timedelta(seconds=1)
        assert written.created.tzinfo is not None


def test_insert_refuses_a_field_the_model_has_not():
    with pytest.raises(TypeError, match="no field colour"):
        insert(RequestLog, request_id="req_1", method="GET", path="/", status=200, colour="red")


def _event_values(tenant, event_id: str, now) -> dict:
    return {
        "tenant": tenant,
        "stripe_account": stripe_account_first(tenant=tenant),
        "stripe_event_id": event_id,
        "type": "customer.created",
        "stripe_created": now,
        "stripe_customer_id": "cus_1",
        "payload": {"id": "evt_1", "data": {"object": {"id": "cus_1", "name": "Søren Ærø"}}},
        "error_facts": [{"code": "waiting"}],
        "leased_by": "token",
        "leased_until": now,
    }  # livemode, account, stripe_email, status, attempts, last_error, next_attempt_at: defaults


WRITE_TIMES = ("received", "next_attempt_at")  # now, when the row is written


def test_the_event_inserted_is_the_one_create_writes_and_returns(tenant):
    now = timezone.now()
    created = StripeEvent.objects.for_tenant(tenant).create(**_event_values(tenant, "evt_create", now))
    returned = insert(StripeEvent, **_event_values(tenant, "evt_insert", now))
    written = StripeEvent.objects.for_tenant(tenant).get(stripe_event_id="evt_insert")
    assert returned.pk == written.pk != created.pk
    assert _fields(returned) == _fields(written)
    same = {name: value for name, value in _fields(written).items() if name not in WRITE_TIMES}
    assert {**same, "stripe_event_id": "evt_create"} == {
        name: value for name, value in _fields(created).items() if name not in WRITE_TIMES
    }
    for name in WRITE_TIMES:
        assert now <= getattr(written, name) <= timezone.now()
    assert (returned._state.adding, returned._state.db) == (created._state.adding, created._state.db)


def test_a_taken_unique_value_writes_nothing_and_leaves_the_transaction_usable(tenant):
    taken = ("tenant", "stripe_event_id")
    first = insert(StripeEvent, unless_taken=taken, **_event_values(tenant, "evt_1", timezone.now()))
    with transaction.atomic():
        assert (
            insert(StripeEvent, unless_taken=taken, **_event_values(tenant, "evt_1", timezone.now())) is None
        )
        # No error was raised inside the transaction: it goes on.
        assert StripeEvent.objects.for_tenant(tenant).filter(stripe_event_id="evt_1").count() == 1
        assert not connection.needs_rollback
    assert first is not None and StripeEvent.objects.for_tenant(tenant).get().pk == first.pk
