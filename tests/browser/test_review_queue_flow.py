"""The review queue end to end in Chromium: the dashboard counts customers waiting, the merchant
compares one with its candidates and links one, then skips the rest in bulk after confirming."""

import pytest
from playwright.sync_api import expect

from customers.models import CustomerLink, ReviewItem
from customers.services import customer_sync
from tests.conftest import ROOT
from tests.factories import MembershipFactory

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"review-{name}.png"), full_page=True)


def test_merchant_links_one_candidate_and_skips_the_rest_in_bulk(merchant, page, live_server, login_page):
    merchant.economic.add_customer(
        number=11,
        name="Twin Design A/S",
        email="twin@firma.dk",
        address="Vestergade 12",
        zip="8000",
        city="Aarhus C",
    )
    merchant.economic.add_customer(
        number=12,
        name="Twin Design ApS",
        email="TWIN@firma.dk",
        address="Nørregade 3",
        zip="5000",
        city="Odense C",
    )
    first = merchant.stripe.create_customer(
        email="twin@firma.dk",
        name="Twin Design ApS",
        address={"line1": "Nørregade 3", "city": "Odense C", "country": "DK"},
    )
    second = merchant.stripe.create_customer(email="twin@firma.dk", name="Twin Holding")
    for customer in (first, second):
        customer_sync(tenant=merchant.tenant, stripe_customer_id=customer["id"])

    login_page(MembershipFactory(tenant=merchant.tenant, role="owner").user)
    page.goto(f"{live_server.url}/t/{merchant.tenant.slug}/")
    expect(page.get_by_test_id("review-waiting")).to_have_text("2")
    shot(page, "1-dashboard")

    page.get_by_role("link", name="Open the review queue").click()
    expect(page.get_by_test_id("review-item")).to_have_count(2)
    shot(page, "2-queue")

    page.get_by_test_id("review-item").filter(has_text=first["id"]).get_by_role("link", name="Review").click()
    expect(page.get_by_test_id("review-stripe")).to_contain_text("Nørregade 3")
    expect(page.get_by_test_id("review-candidate")).to_have_count(2)
    expect(page.get_by_test_id("review-candidate").nth(1)).to_contain_text("Odense C")
    shot(page, "3-compare")
    page.get_by_role("button", name="Link to 12").click()

    expect(page.get_by_role("status")).to_contain_text("Linked to e-conomic customer 12")
    link = CustomerLink.objects.for_tenant(merchant.tenant).get(stripe_customer_id=first["id"])
    assert link.economic_customer_number == 12
    expect(page.get_by_test_id("review-item")).to_have_count(1)

    page.get_by_label(f"Select {second['id']}").check()
    page.get_by_label("With the selected customers").select_option("skipped")
    page.get_by_role("button", name="Continue…").click()
    expect(page.get_by_role("heading", name="Skip 1 customer?")).to_be_visible()
    shot(page, "4-confirm")
    page.get_by_role("button", name="Yes, skip them").click()

    expect(page.get_by_test_id("review-empty")).to_be_visible()
    expect(page.get_by_test_id("review-resolved")).to_contain_text("Skipped")
    shot(page, "5-settled")
    assert not ReviewItem.objects.for_tenant(merchant.tenant).filter(resolved_at__isnull=True).exists()
