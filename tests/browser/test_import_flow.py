"""The Import tab in Chromium, with real workers: a merchant starts the import and watches it finish."""

import pytest
from playwright.sync_api import expect

from customers.models import SyncRecord
from tests.conftest import ROOT
from tests.factories import MembershipFactory


@pytest.mark.browser
@pytest.mark.worker
def test_merchant_imports_in_the_browser_and_watches_it_finish(
    merchant, page, live_server, login_page, celery_worker
):
    merchant.economic.add_customer(name="Known", email="known@firma.dk")
    merchant.stripe.create_customer(email="known@firma.dk", name="Known")
    merchant.stripe.create_customer(email="fresh@firma.dk", name="Fresh ApS")
    login_page(MembershipFactory(tenant=merchant.tenant, role="owner").user)
    page.goto(f"{live_server.url}/t/{merchant.tenant.slug}/import/")
    page.get_by_role("button", name="Import all Stripe customers").click()
    # Without a dry run the import asks first and offers one (issue 21); the merchant goes ahead.
    expect(page.get_by_test_id("confirm-no-dry-run")).to_be_visible()
    page.get_by_role("button", name="Import without a dry run").click()
    # The table updates in place while the import runs (no reload), until it is finished.
    expect(page.get_by_test_id("imports")).to_contain_text("Finished", timeout=30_000)
    expect(page.get_by_test_id("imports")).to_contain_text("1 matched")
    page.screenshot(path=str(ROOT / "test-artifacts" / "import.png"), full_page=True)
    assert SyncRecord.objects.for_tenant(merchant.tenant).count() == 2
