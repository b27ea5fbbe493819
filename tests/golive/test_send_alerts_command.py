import json

import pytest
from django.core import mail
from django.core.management import call_command

from customers.models import SyncRecord
from tests.factories import MembershipFactory


@pytest.mark.django_db
def test_the_command_sends_what_is_due_and_says_how_many(tenant, capsys):
    MembershipFactory(tenant=tenant, role="owner")
    SyncRecord.objects.for_tenant(tenant).create(stripe_customer_id="cus_X", action="failed", message="No.")
    call_command("send_alerts")
    assert json.loads(capsys.readouterr().out) == {"sent": 1} and len(mail.outbox) == 1
    call_command("send_alerts")
    assert json.loads(capsys.readouterr().out) == {"sent": 0} and len(mail.outbox) == 1
