"""e-conomic's daily budget in Chromium: the dashboard's card counts the agreement's calls, and at
the budget every page of the tenant carries the banner saying syncs resume by themselves."""

import pytest
from playwright.sync_api import expect

from syncapp.connections.clients import economic_budget
from syncapp.connections.selectors import agreement_key
from syncapp.models import EconomicConnection
from tests.conftest import ROOT
from tests.factories import MembershipFactory

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"


def test_the_budget_card_and_the_banner_at_the_budget(merchant, page, live_server, login_page, settings):
    settings.ECONOMIC_DAILY_BUDGET = 20
    key = agreement_key(EconomicConnection.objects.for_tenant(merchant.tenant).get(), merchant.tenant)
    for _ in range(12):
        economic_budget().spend(key)
    login_page(MembershipFactory(tenant=merchant.tenant, role="owner").user)

    page.goto(f"{live_server.url}/t/{merchant.tenant.slug}/")
    expect(page.get_by_test_id("budget-used")).to_have_text("12")
    expect(page.get_by_test_id("budget-banner")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "budget-1-card.png"), full_page=True)

    for _ in range(8):
        economic_budget().spend(key)
    page.goto(f"{live_server.url}/t/{merchant.tenant.slug}/sync/")
    expect(page.get_by_test_id("budget-banner")).to_contain_text("resume by themselves")
    page.goto(f"{live_server.url}/t/{merchant.tenant.slug}/")
    expect(page.get_by_test_id("budget-panel")).to_contain_text("The budget is used up")
    page.screenshot(path=str(ARTIFACTS / "budget-2-spent.png"), full_page=True)
