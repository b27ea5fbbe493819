"""Warm clients: a sync reuses its thread's kept-alive clients, never a stale credential's."""

import threading

import pytest

from customers.services import customer_sync
from syncapp.clients.economic import EconomicAuthFailed
from syncapp.connections.pool import pool_clear, pooled_economic_client_for, pooled_stripe_client_for
from syncapp.models import EconomicConnection, StripeConnection
from tests.fixtures_stripe import connect_stripe


def first_account(tenant) -> StripeConnection:
    return StripeConnection.objects.for_tenant(tenant).order_by("id").first()


def connections_opened(client) -> int:
    """New connections (handshakes) urllib3 made for this client's session so far."""
    pools = client.session.adapters["http://"].poolmanager.pools
    return sum(pools[key].num_connections for key in pools.keys())


def test_syncs_of_one_tenant_share_their_clients_and_connections(merchant):
    a = merchant.stripe.create_customer(email="a@firma.dk", name="A ApS")
    b = merchant.stripe.create_customer(email="b@firma.dk", name="B ApS")
    customer_sync(tenant=merchant.tenant, stripe_customer_id=a["id"])
    economic = pooled_economic_client_for(merchant.tenant)
    stripe = pooled_stripe_client_for(first_account(merchant.tenant))
    opened = connections_opened(economic)

    customer_sync(tenant=merchant.tenant, stripe_customer_id=b["id"])

    assert pooled_economic_client_for(merchant.tenant) is economic
    assert pooled_stripe_client_for(first_account(merchant.tenant)) is stripe
    # The second sync's search and create went over the connection the first one opened.
    assert opened >= 1
    assert connections_opened(economic) == opened


def test_a_changed_grant_token_gets_a_new_client(merchant, economic_agreement):
    before = pooled_economic_client_for(merchant.tenant)
    connection = EconomicConnection.objects.for_tenant(merchant.tenant).get()
    connection.grant_token = economic_agreement.grant_token + "-rekeyed"
    connection.save()

    after = pooled_economic_client_for(merchant.tenant)

    assert after is not before
    assert after.session.headers["X-AgreementGrantToken"].endswith("-rekeyed")


def test_a_rolled_stripe_key_gets_a_new_client(merchant, stripe_account):
    before = pooled_stripe_client_for(first_account(merchant.tenant))
    connect_stripe(merchant.tenant, stripe_account.api_key + "x")

    assert pooled_stripe_client_for(first_account(merchant.tenant)) is not before


def test_a_refused_credential_drops_the_client(merchant, economic_agreement):
    client = pooled_economic_client_for(merchant.tenant)
    client.self_info()
    economic_agreement.revoke()

    with pytest.raises(EconomicAuthFailed):
        client.self_info()

    assert pooled_economic_client_for(merchant.tenant) is not client


def test_each_thread_has_its_own_clients(merchant):
    mine = pooled_economic_client_for(merchant.tenant)
    theirs = []

    def other_thread():
        theirs.append(pooled_economic_client_for(merchant.tenant))
        pool_clear()

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()

    assert theirs and theirs[0] is not mine
    assert pooled_economic_client_for(merchant.tenant) is mine
