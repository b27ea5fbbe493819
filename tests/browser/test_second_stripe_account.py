"""A merchant with a Danish shop connects its Swedish Stripe account in Chromium, and sees that
account's customers sync into the same e-conomic: the emulator delivers the webhook to the new
account's own URL, a real Celery worker syncs it, the log filters by account."""

import pytest
from playwright.sync_api import expect

from customers.models import SyncRecord
from customers.services import customer_sync
from sandbox.stripe_api import control
from sandbox.stripe_api.seed import seed_account
from tests.conftest import ROOT, wait_for
from tests.factories import MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.worker]
ARTIFACTS = ROOT / "test-artifacts"


def test_merchant_connects_a_second_account_and_filters_the_log_by_it(
    merchant, page, live_server, login_page, celery_worker
):
    tenant = merchant.tenant
    owner = MembershipFactory(tenant=tenant, role="owner").user
    dk_customer = merchant.stripe.create_customer(email="dorte@shop.dk", name="Dorte")
    customer_sync(tenant=tenant, stripe_customer_id=dk_customer["id"])
    se_key = seed_account()

    login_page(owner)
    page.goto(f"{live_server.url}/t/{tenant.slug}/connections/")
    add = page.get_by_test_id("stripe-add")
    add.get_by_label("Account name").fill("SE shop")
    add.get_by_label("API key of the new account").fill(se_key)
    add.get_by_role("button", name="Connect this account").click()
    expect(page.get_by_role("status")).to_have_text("Stripe account “SE shop” is connected (test mode).")
    se_card = page.get_by_test_id("stripe-connection").filter(has_text="SE shop")
    expect(se_card.get_by_test_id("stripe-status")).to_have_text("Connected")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(ARTIFACTS / "connections-two-stripe-accounts.png"), full_page=True)

    # A customer of the Swedish shop, made in its Stripe: its webhook goes to the new account's URL.
    se_customer = control.customer_create(se_key, email="sven@shop.se", name="Sven")
    created = wait_for(
        lambda: SyncRecord.objects.for_tenant(tenant).filter(stripe_customer_id=se_customer["id"]).first(),
        timeout=30,
        message="the SE shop's customer synced",
    )
    assert created.action == SyncRecord.Action.CREATED and created.stripe_account.name == "SE shop"
    assert {c["email"] for c in merchant.economic.customers()} == {"dorte@shop.dk", "sven@shop.se"}

    page.get_by_role("link", name="Sync log", exact=True).first.click()
    log = page.get_by_test_id("sync-log")
    expect(log).to_contain_text(dk_customer["id"])
    page.get_by_test_id("account-filter").select_option(label="SE shop")
    page.get_by_role("button", name="Filter").click()
    expect(log).to_contain_text(se_customer["id"])
    expect(log).not_to_contain_text(dk_customer["id"])
    expect(log.get_by_test_id("record-account").first).to_have_text("SE shop")
    page.screenshot(path=str(ARTIFACTS / "sync-log-filtered-by-account.png"), full_page=True)
