"""The new pages in Chromium: members (invite, change a role), a sync record's detail, failures by
kind, and the events view; each looked at in a screenshot."""

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from customers.models import StripeEvent, SyncRecord
from syncapp.models import Membership
from tests.conftest import ROOT
from tests.factories import MembershipFactory
from tests.fixtures_stripe import first_account

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"golive-pages-{name}.png"), full_page=True)


def test_owner_invites_a_viewer_and_makes_an_admin_a_viewer(tenant, page, live_server, login_page):
    owner = MembershipFactory(tenant=tenant, role="owner").user
    admin = MembershipFactory(tenant=tenant, role="admin")
    login_page(owner)
    page.goto(f"{live_server.url}/t/{tenant.slug}/members/")
    page.get_by_label("E-mail", exact=True).fill("revisor@firma.dk")
    page.get_by_label("Role", exact=True).select_option("viewer")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Invitation sent to revisor@firma.dk")
    expect(page.get_by_test_id("invitations")).to_contain_text("revisor@firma.dk")
    assert mail.outbox[0].to == ["revisor@firma.dk"]

    page.get_by_label(f"Role of {admin.user.email}").select_option("viewer")
    page.get_by_test_id("member").filter(has_text=admin.user.email).get_by_role(
        "button", name="Change"
    ).click()
    expect(page.get_by_role("status")).to_contain_text("is now viewer")
    assert Membership.objects.for_tenant(tenant).get(pk=admin.pk).role == "viewer"
    shot(page, "members")


def test_sync_record_detail_failures_and_events(tenant, page, live_server, login_page):
    event = StripeEvent.objects.for_tenant(tenant).create(
        stripe_account=first_account(tenant),
        stripe_event_id="evt_1NxDetail",
        type="customer.created",
        stripe_created=timezone.now(),
        stripe_customer_id="cus_Detail",
        payload={},
        status=StripeEvent.Status.PROCESSED,
        processed_at=timezone.now(),
    )
    records = SyncRecord.objects.for_tenant(tenant)
    record = records.create(
        event=event,
        stripe_customer_id="cus_Detail",
        stripe_email="anna@firma.dk",
        action="failed",
        message="e-conomic refused the customer: zip: must be at most 30 characters.",
        payload={"name": "Firma ApS", "zip": "8" * 40, "currency": "DKK"},
        economic_log_id="log-7f3a",
        duration_ms=412,
    )
    records.create(
        stripe_customer_id="cus_Other",
        action="failed",
        message="e-conomic refused the customer: zip: must be at most 30 characters.",
    )
    login_page(MembershipFactory(tenant=tenant, role="owner").user)

    page.goto(f"{live_server.url}/t/{tenant.slug}/sync/")
    page.get_by_test_id("sync-log").locator("tr", has_text="cus_Detail").get_by_role("link").first.click()
    expect(page).to_have_url(f"{live_server.url}/t/{tenant.slug}/sync/{record.pk}/")
    expect(page.get_by_test_id("record-facts")).to_contain_text("log-7f3a")
    expect(page.get_by_test_id("record-facts")).to_contain_text("evt_1NxDetail")
    expect(page.get_by_test_id("record-payload")).to_contain_text("Firma ApS")
    shot(page, "record")

    page.goto(f"{live_server.url}/t/{tenant.slug}/sync/failures/")
    expect(page.get_by_test_id("failure-kind")).to_have_count(1)
    expect(page.get_by_role("button", name="Retry all 2")).to_be_visible()
    shot(page, "failures")

    page.goto(f"{live_server.url}/t/{tenant.slug}/events/")
    expect(page.get_by_test_id("events")).to_contain_text("evt_1NxDetail")
    shot(page, "events")
