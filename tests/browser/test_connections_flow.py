"""A merchant connects e-conomic through the sandbox's grant page and Stripe with a key, in chromium."""

import pytest
from playwright.sync_api import expect

from syncapp.models import EconomicConnection, StripeConnection
from tests.conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = ROOT / "test-artifacts"


def test_owner_connects_economic_and_stripe_and_sees_the_badges(
    login_page, live_server, sandbox_urls, tenant, owner, economic_agreement, stripe_account
):
    page = login_page(owner)
    page.get_by_role("link", name="Connections", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Connections")
    expect(page.get_by_test_id("economic-status")).to_have_text("Not connected")
    expect(page.get_by_test_id("stripe-status")).to_have_text("Not connected")
    page.screenshot(path=f"{ARTIFACTS}/connections-empty.png", full_page=True)

    page.get_by_role("button", name="Connect e-conomic").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(str(economic_agreement.agreement_number))
    page.screenshot(path=f"{ARTIFACTS}/connections-economic-grant-page.png", full_page=True)
    page.get_by_role("button", name="Accept").click()

    expect(page.get_by_test_id("economic-status")).to_have_text("Connected")
    expect(page.get_by_test_id("economic-agreement")).to_have_text(
        f"{economic_agreement.agreement_number} Testfirma ApS"
    )
    assert "token=" not in page.url  # the callback redirected the grant token out of the address bar

    page.get_by_label("Stripe API key").fill("sk_test_" + "0" * 24)
    page.get_by_role("button", name="Connect Stripe").click()
    expect(page.get_by_role("alert").filter(has_text="did not accept the API key")).to_be_visible()
    expect(page.get_by_label("Stripe API key")).to_have_value("")
    page.screenshot(path=f"{ARTIFACTS}/connections-stripe-refused.png", full_page=True)

    page.get_by_text("Permissions a restricted key needs").click()
    expect(page.get_by_test_id("stripe-permissions")).to_contain_text("Webhook Endpoints: Write")
    page.get_by_label("Stripe API key").fill(stripe_account.api_key)
    page.get_by_role("button", name="Connect Stripe").click()

    expect(page.get_by_role("status")).to_have_text("Stripe is connected (test mode).")
    expect(page.get_by_test_id("stripe-status")).to_have_text("Connected")
    expect(page.get_by_test_id("stripe-mode")).to_have_text("Test mode")
    expect(page.get_by_test_id("stripe-key")).to_have_text(f"•••• {stripe_account.api_key[-4:]}")
    page.screenshot(path=f"{ARTIFACTS}/connections-connected.png", full_page=True)
    html = page.content()
    secrets = (
        economic_agreement.grant_token,
        stripe_account.api_key,
        StripeConnection.objects.for_tenant(tenant).get().webhook_secret,
    )
    assert all(secret not in html for secret in secrets)

    page.get_by_role("link", name="Dashboard").click()
    panel = page.get_by_test_id("connections-panel")
    expect(panel.get_by_test_id("panel-economic-status")).to_have_text("Connected")
    expect(panel.get_by_test_id("panel-stripe-status")).to_have_text("Connected")
    page.screenshot(path=f"{ARTIFACTS}/connections-dashboard.png", full_page=True)

    page.get_by_role("link", name="Connections", exact=True).click()
    page.get_by_role("button", name="Disconnect e-conomic").click()
    expect(page.get_by_test_id("economic-status")).to_have_text("Not connected")
    assert EconomicConnection.objects.for_tenant(tenant).get().grant_token == ""
