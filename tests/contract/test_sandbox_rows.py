"""The emulators' request logs are written by sandbox/rows.py, not Model.objects.create: the rows
must be the ones create would write, field for field (defaults and `created` included)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sandbox.economic_api.models import RequestLogEntry
from sandbox.economic_api.seed import create_agreement
from sandbox.rows import insert
from sandbox.stripe_api.models import Account, RequestLog

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
