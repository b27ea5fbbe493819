"""A merchant watches syncs happen: the dashboard counts them, the sync log explains them."""

import pytest
from playwright.sync_api import expect

from customers.services import customer_sync
from tests.conftest import ROOT
from tests.factories import MembershipFactory

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"


def test_merchant_sees_syncs_on_the_dashboard_and_in_the_sync_log(merchant, page, live_server, login_page):
    merchant.economic.add_customer(number=1042, name="Nordlys Design ApS", email="bogholderi@nordlys.dk")
    matched = merchant.stripe.create_customer(email="bogholderi@nordlys.dk", name="Nordlys Design ApS")
    created = merchant.stripe.create_customer(
        email="anna@firma.dk", name="Firma ApS", address={"country": "DK"}
    )
    failing = merchant.stripe.create_customer(name="No E-mail ApS")
    for customer in (matched, created, failing):
        customer_sync(tenant=merchant.tenant, stripe_customer_id=customer["id"])

    owner = MembershipFactory(tenant=merchant.tenant, role="owner").user
    login_page(owner)
    page.goto(f"{live_server.url}/t/{merchant.tenant.slug}/")
    counts = page.get_by_test_id("sync-counts")
    expect(counts).to_contain_text("Matched")
    expect(page.get_by_test_id("recent-failures")).to_contain_text(
        "has no email, and email is your match field"
    )
    page.screenshot(path=str(ARTIFACTS / "dashboard-with-syncs.png"), full_page=True)

    page.get_by_role("link", name="Sync log", exact=True).first.click()
    log = page.get_by_test_id("sync-log")
    expect(log).to_contain_text("Found e-conomic customer 1042 by email")
    expect(log).to_contain_text("Created e-conomic customer")
    page.screenshot(path=str(ARTIFACTS / "sync-log.png"), full_page=True)

    page.get_by_label("Action").select_option("failed")
    page.get_by_role("button", name="Filter").click()
    expect(log.locator("tbody tr")).to_have_count(1)
    page.get_by_role("button", name="Retry").click()
    expect(page.get_by_role("status")).to_contain_text(f"Sync of {failing['id']} queued")
