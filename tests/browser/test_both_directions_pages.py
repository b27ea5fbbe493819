"""The pages issue 24 changed, in Chromium: the sync log's record of an e-conomic fix applied to
Stripe, and the Connections page's setup of e-conomic's notification."""

import pytest
from playwright.sync_api import expect

from customers.services import customer_sync
from customers.services.economic_reads import economic_changes_read
from tests.conftest import ROOT
from tests.customers.test_from_economic import stamp, two_way
from tests.factories import MembershipFactory

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"


def test_the_sync_log_shows_a_fix_from_economic_and_connections_shows_the_notification_setup(
    merchant, page, live_server, login_page
):
    two_way(merchant)
    customer = merchant.stripe.create_customer(
        email="anna@firma.dk", name="Firma ApS", phone="11111111", address={"line1": "Old street 1"}
    )
    number = customer_sync(tenant=merchant.tenant, stripe_customer_id=customer["id"]).economic_customer_number
    economic_changes_read(tenant=merchant.tenant)
    merchant.economic.edit_customer(
        number, address="New street 2", telephoneAndFaxNumber="22222222", at=stamp(2)
    )
    economic_changes_read(tenant=merchant.tenant)

    login_page(MembershipFactory(tenant=merchant.tenant, role="owner").user)
    page.goto(f"{live_server.url}/t/{merchant.tenant.slug}/sync/")
    row = page.get_by_test_id("sync-log-row").first
    expect(row).to_contain_text(f"Updated in Stripe from e-conomic customer {number}: address, phone.")
    expect(row.get_by_test_id("record-direction")).to_have_text("e-conomic → Stripe")
    page.screenshot(path=str(ARTIFACTS / "sync-log-from-economic.png"), full_page=True)

    page.goto(f"{live_server.url}/t/{merchant.tenant.slug}/connections/")
    setup = page.get_by_test_id("economic-notification-setup")
    setup.get_by_text("Let e-conomic tell us at once").click()
    url = page.get_by_test_id("economic-notification-url")
    expect(url).to_be_visible()
    assert "/webhooks/economic/" in url.input_value() and "[NEWNUMBER]/[OLDNUMBER]/" in url.input_value()
    expect(setup).to_contain_text("All settings → Extensions → Web hooks")
    page.screenshot(path=str(ARTIFACTS / "connections-economic-notification.png"), full_page=True)
