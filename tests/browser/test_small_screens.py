"""Phones and small windows: at 390 px (a phone held upright) no main page scrolls sideways, long
words (ids, e-mails, Danish compound names) wrap, tables become stacked rows and "Log out" stays in
reach. Every page is screenshotted into test-artifacts/small-screen-*.png."""

import pytest
from playwright.sync_api import expect

from customers.models import SyncRecord
from tests.conftest import ROOT
from tests.factories import PASSWORD
from tests.test_page_walk import _fill_every_table

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"
PHONE = {"width": 390, "height": 844}
LONG_NAME = "Vesterhavsklitplantageforeningsadministrationskontoret ApS"
LONG_EMAIL = "bogholderiet.for.vesterhavsklitplantageforeningen@eksempel-paa-et-langt-domaene.dk"

MAIN_PAGES = [
    "", "connections/", "settings/", "settings/number/", "settings/defaults/", "settings/fields/",
    "settings/preview/", "settings/transfer/", "settings/history/", "review/", "review/{item_id}/",
    "sync/", "sync/{record_id}/", "sync/failures/", "events/", "import/", "import/{run_id}/", "members/",
    "account/", "sandbox/",
]  # fmt: skip


def test_main_pages_fit_a_phone(merchant, sandbox_urls, browser, live_server, settings):
    settings.AXES_ENABLED = False
    data = _fill_every_table(merchant, sandbox_urls["SITE_URL"])
    SyncRecord.objects.for_tenant(merchant.tenant).create(
        stripe_customer_id="cus_LongWordsLongWordsLong", stripe_name=LONG_NAME, stripe_email=LONG_EMAIL,
        action="failed", message=f"e-conomic refused the customer: name “{LONG_NAME}” is too long.",
    )  # fmt: skip
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail").fill(data["owner"].email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    too_wide = []
    for path in MAIN_PAGES:
        page.goto(f"{live_server.url}/t/{merchant.tenant.slug}/{path.format(**data['ids'])}")
        name = path.replace("{", "").replace("}", "").strip("/").replace("/", "-") or "dashboard"
        page.screenshot(path=str(ARTIFACTS / f"small-screen-{name}.png"), full_page=True)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        if width > page.evaluate("window.innerWidth"):
            too_wide.append(f"{path}: {width}px")
    assert too_wide == [], "pages that scroll sideways at 390 px"

    page.goto(f"{live_server.url}/t/{merchant.tenant.slug}/sync/")
    first = page.get_by_test_id("sync-log-row").first
    expect(first).to_contain_text(LONG_NAME)
    # Stacked rows: each cell on its own line, labelled, as wide as the row.
    assert first.evaluate("row => getComputedStyle(row).display") == "block"
    assert page.locator("[data-testid=sync-log] thead").evaluate("h => h.getBoundingClientRect().height") <= 1
    logout = page.get_by_role("button", name="Log out")
    expect(logout).to_be_in_viewport()
    logout.click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
