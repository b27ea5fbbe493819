"""The reads and the failing mark other apps use instead of a connection's fields."""

import pytest

from syncapp.connections.common import Service, connection_mark_failing
from syncapp.connections.selectors import connection_for, webhook_verification_for
from syncapp.models import ConnectionStatus
from tests.factories import EconomicConnectionFactory, StripeConnectionFactory
from tests.fixtures_stripe import first_account

pytestmark = pytest.mark.django_db


def test_webhook_secrets_are_the_current_one_then_the_previous_one(tenant):
    account = StripeConnectionFactory(
        tenant=tenant, webhook_secret="whsec_new", previous_webhook_secret="whsec_old"
    )
    assert webhook_verification_for(connection=account).secrets == ["whsec_new", "whsec_old"]


def test_a_tenant_without_stripe_has_no_webhook_secrets(tenant):
    assert webhook_verification_for(connection=first_account(tenant)).secrets == []
    account = StripeConnectionFactory(tenant=tenant, webhook_secret="")
    assert webhook_verification_for(connection=account).secrets == []


def test_connection_for_answers_only_the_tenants_own_connection(tenant):
    EconomicConnectionFactory()  # another tenant's
    assert connection_for(tenant=tenant, service=Service.ECONOMIC) is None
    own = EconomicConnectionFactory(tenant=tenant)
    assert connection_for(tenant=tenant, service=Service.ECONOMIC) == own


def test_mark_failing_keeps_the_credential_and_says_why(tenant):
    connection = EconomicConnectionFactory(tenant=tenant)
    said = [{"code": "economic_refused_access", "values": {"detail": "Grant revoked"}}]
    connection_mark_failing(tenant=tenant, service=Service.ECONOMIC, facts=said)
    failing = connection_for(tenant=tenant, service=Service.ECONOMIC)
    assert (failing.status, failing.error_facts) == (ConnectionStatus.FAILING, said)
    assert (
        failing.last_error
        == "e-conomic refused access (Grant revoked): reconnect e-conomic on the Connections page."
    )
    assert failing.grant_token == connection.grant_token
