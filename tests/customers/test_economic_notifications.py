"""e-conomic's "Customer updated" web hook: a hint that starts one tenant's read, never data."""

from unittest import mock

import pytest
from django.core.cache import cache
from django.utils import timezone

from customers.models import EconomicRead
from customers.queue import READ_ECONOMIC
from tests.factories import EconomicConnectionFactory, TenantFactory


@pytest.fixture(autouse=True)
def _no_coalesced_hints():
    cache.clear()


def notify(client, connection, new="12", old="12", method="post"):
    path = connection.notification_path.replace("[NEWNUMBER]", new).replace("[OLDNUMBER]", old)
    return getattr(client, method)(path)


def test_a_notification_starts_only_its_tenants_read_and_carries_no_data(
    client, db, django_capture_on_commit_callbacks
):
    mine, other = EconomicConnectionFactory(), EconomicConnectionFactory(tenant=TenantFactory())
    later = timezone.now() + timezone.timedelta(minutes=5)
    EconomicRead.objects.for_tenant(other.tenant).create(due_at=later)
    with mock.patch("customers.queue.send") as send, django_capture_on_commit_callbacks(execute=True):
        assert notify(client, mine).status_code == 204
    send.assert_called_once_with(READ_ECONOMIC, mine.tenant.pk)
    assert EconomicRead.objects.for_tenant(mine.tenant).get().due_at <= timezone.now()
    assert EconomicRead.objects.for_tenant(other.tenant).get().due_at == later


def test_a_burst_of_notifications_starts_one_read(client, db, django_capture_on_commit_callbacks):
    connection = EconomicConnectionFactory()
    with mock.patch("customers.queue.send") as send, django_capture_on_commit_callbacks(execute=True):
        for number in range(1, 6):
            assert notify(client, connection, new=str(number), old=str(number)).status_code == 204
    assert send.call_count == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_unknown_notification_url_is_refused_and_starts_nothing(client, method, db):
    EconomicConnectionFactory()
    with mock.patch("customers.queue.send") as send:
        response = client.generic(method.upper(), "/webhooks/economic/not-a-known-id/1/1/")
    assert response.status_code == 404
    send.assert_not_called()
    assert not EconomicRead.all_tenants.exists()
