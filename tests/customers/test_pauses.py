"""A pause per tenant and service instead of burnt retries, with real worker processes.

A refused credential holds the tenant's events until the merchant reconnects, then they run by
themselves; a throttled tenant waits without holding the worker slots a healthy tenant needs.
"""

import time

import pytest
from django.urls import reverse

from customers.models import ConnectionPause, StripeEvent
from sandbox.economic_api.models import Grant
from sandbox.economic_api.seed import default_app, grant_for, seed_agreement
from sandbox.stripe_api import control
from sandbox.stripe_api.seed import seed_account
from syncapp.connections.economic import economic_connect
from tests.conftest import wait_for
from tests.customers.test_exactly_once import all_events_settled, post_webhook
from tests.factories import EconomicConnectionFactory, MembershipFactory, TenantFactory
from tests.fixtures_economic import EconomicAgreement
from tests.fixtures_merchant import Merchant, configure
from tests.fixtures_stripe import StripeAccount, connect_stripe

pytestmark = pytest.mark.worker
Status = StripeEvent.Status


def another_merchant() -> Merchant:
    """A second tenant with its own e-conomic agreement and Stripe account."""
    tenant = TenantFactory()
    token = seed_agreement(company_name="Nabo ApS")
    agreement = Grant.objects.select_related("agreement").get(token=token).agreement
    EconomicConnectionFactory(
        tenant=tenant, grant_token=token, agreement_number=agreement.agreement_number, company_name="Nabo ApS"
    )
    api_key = seed_account()
    connect_stripe(tenant, api_key)
    configure(tenant)
    stripe = StripeAccount(api_key=api_key, account=control.account_for_key(api_key))
    return Merchant(tenant, EconomicAgreement(grant_token=token, agreement=agreement), stripe)


def deliver(merchant, live_server, count: int, prefix: str) -> None:
    """Stripe's own events (the reconciliation after a resume then finds nothing missing)."""
    for n in range(count):
        customer = merchant.stripe.create_customer(email=f"{prefix}{n}@firma.dk", name=f"{prefix} {n}")
        event = next(
            e
            for e in merchant.stripe.events("customer.created")
            if e["data"]["object"]["id"] == customer["id"]
        )
        assert post_webhook(live_server, merchant.tenant, event) == 200


def created_events(merchant):
    return StripeEvent.objects.for_tenant(merchant.tenant).filter(type="customer.created")


def test_a_refused_grant_pauses_until_the_merchant_reconnects(merchant, live_server, celery_worker, client):
    merchant.economic.revoke()
    deliver(merchant, live_server, 2, "refused")
    wait_for(
        lambda: ConnectionPause.objects.for_tenant(merchant.tenant).filter(reason="refused").exists(),
        timeout=20,
        message="e-conomic paused: credential refused",
    )
    time.sleep(3)  # sweeps and probes go by: nothing runs, nothing fails, no attempt is spent
    events = created_events(merchant)
    assert set(events.values_list("status", flat=True)) == {Status.PENDING}
    assert sum(events.values_list("attempts", flat=True)) == 0
    owner = MembershipFactory(tenant=merchant.tenant, role="owner").user
    client.force_login(owner)
    page = client.get(reverse("dashboard", args=[merchant.tenant.slug])).content.decode()
    assert "Syncs to e-conomic are paused" in page and "Reconnect e-conomic on the Connections page" in page

    # The merchant grants access again and reconnects: the waiting events run by themselves.
    new_grant = grant_for(default_app(), merchant.economic.agreement)
    economic_connect(tenant=merchant.tenant, grant_token=new_grant.token)
    wait_for(lambda: all_events_settled(merchant.tenant, 2), timeout=30, message="the paused events ran")
    assert set(events.values_list("status", flat=True)) == {Status.PROCESSED}
    assert len(merchant.economic.customers()) == 2


def test_a_throttled_tenant_does_not_slow_a_healthy_one(merchant, live_server, celery_worker):
    healthy = another_merchant()
    # Every e-conomic call of the throttled merchant answers 429 (no Retry-After), and slowly.
    merchant.economic.set_faults(throttle_without_retry_after_rate=1.0, latency=0.2)
    deliver(merchant, live_server, 8, "throttled")
    started = time.monotonic()
    deliver(healthy, live_server, 8, "healthy")
    wait_for(lambda: all_events_settled(healthy.tenant, 8), timeout=30, message="the healthy tenant synced")
    elapsed = time.monotonic() - started
    # Two worker slots, eight syncs of a few calls each: seconds, not the throttled tenant's pace.
    assert elapsed < 20, elapsed
    assert len(healthy.economic.customers()) == 8
    throttled = created_events(merchant)
    assert throttled.filter(status=Status.PENDING).count() == 8
    assert max(throttled.values_list("attempts", flat=True)) == 0
    merchant.economic.clear_faults()
    wait_for(
        lambda: all_events_settled(merchant.tenant, 8), timeout=60, message="the throttled tenant caught up"
    )
    assert len(merchant.economic.customers()) == 8
