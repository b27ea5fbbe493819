"""The support console in Chromium: a support engineer signs in with a second factor, finds a
merchant and a customer, replays failed events after confirming, and views as the merchant."""

import pytest
from django.contrib.auth.models import Permission
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from customers.models import StripeEvent, SyncRecord
from customers.services import event_store
from syncapp.models import ConnectionStatus, ViewAsSession
from tests.conftest import ROOT
from tests.factories import (
    PASSWORD,
    EconomicConnectionFactory,
    MembershipFactory,
    StripeConnectionFactory,
    TenantFactory,
    UserFactory,
)
from tests.fixtures_stripe import first_account

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"


def _admin_sign_in(page, live_server, user):
    device = TOTPDevice.objects.get_or_create(user=user, name="authenticator", confirmed=True)[0]
    token = str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)).zfill(
        device.digits
    )
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=otp_token]", token)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#user-tools")).to_be_visible()


@pytest.fixture
def merchant_in_trouble(transactional_db):
    tenant = TenantFactory(name="Nordlys Design ApS", slug="nordlys")
    MembershipFactory(tenant=tenant, role="owner", user=UserFactory(username="owner@nordlys.dk"))
    StripeConnectionFactory(tenant=tenant)
    EconomicConnectionFactory(
        tenant=tenant,
        status=ConnectionStatus.FAILING,
        last_error="The grant was revoked.",
        agreement_number=654321,
    )
    payload = {
        "id": "evt_anna",
        "type": "customer.created",
        "created": 1700000000,
        "data": {"object": {"id": "cus_anna", "email": "anna@firma.dk"}},
    }
    event = event_store(tenant=tenant, stripe_account=first_account(tenant), event=payload)[0]
    StripeEvent.all_tenants.filter(pk=event.pk).update(status="failed", last_error="Ambiguous match: 11, 12")
    SyncRecord.all_tenants.create(
        tenant=tenant,
        event=event,
        stripe_customer_id="cus_anna",
        stripe_email="anna@firma.dk",
        action="failed",
        message="Ambiguous match: e-conomic customers 11, 12 have this e-mail.",
        economic_log_id="log-123",
    )
    TenantFactory(name="Quiet Shop ApS", slug="quiet")
    return tenant


def test_support_finds_a_customer_and_replays_after_confirming(page, live_server, merchant_in_trouble):
    superuser = UserFactory(username="lead@support.example", is_staff=True, is_superuser=True)
    _admin_sign_in(page, live_server, superuser)

    page.goto(f"{live_server.url}/admin/syncapp/tenant/")
    row = page.locator("#result_list tbody tr", has_text="Nordlys")
    expect(row).to_contain_text("Failing: The grant was revoked.")
    expect(row).to_contain_text("owner@nordlys.dk")
    page.screenshot(path=str(ARTIFACTS / "admin-tenant-list.png"), full_page=True)

    page.fill("#searchbar", "anna@firma.dk")
    page.press("#searchbar", "Enter")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)

    page.goto(f"{live_server.url}/admin/customers/stripeevent/?q=anna@firma.dk")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "admin-events-search.png"), full_page=True)
    page.goto(f"{live_server.url}/admin/customers/syncrecord/?q=anna@firma.dk")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.locator("#result_list tbody tr th a").first.click()
    expect(page.get_by_text("Event ", exact=False).first).to_be_visible()
    expect(page.locator("text=Save")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "admin-sync-record.png"), full_page=True)

    page.goto(f"{live_server.url}/admin/syncapp/tenant/{merchant_in_trouble.pk}/change/")
    expect(page.get_by_test_id("connections-health")).to_contain_text("Failing: The grant was revoked.")
    page.screenshot(path=str(ARTIFACTS / "admin-tenant-page.png"), full_page=True)

    page.goto(f"{live_server.url}/admin/syncapp/tenant/")
    page.locator("#result_list tbody tr", has_text="Nordlys").locator("input.action-select").check()
    page.select_option("select[name=action]", "replay_failed_events")
    page.click("button[name=index]")
    expect(page.get_by_test_id("confirm-count")).to_have_text("1")
    page.fill("textarea[name=reason]", "Merchant fixed duplicate e-mails in e-conomic")
    page.screenshot(path=str(ARTIFACTS / "admin-replay-confirm.png"), full_page=True)
    page.click("input[type=submit]")
    expect(page.locator(".messagelist")).to_contain_text("1 failed event(s) queued again")


def test_view_as_shows_a_banner_and_the_non_superuser_sees_no_secret(page, live_server, merchant_in_trouble):
    staff = UserFactory(username="agent@support.example", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    _admin_sign_in(page, live_server, staff)
    page.goto(f"{live_server.url}/admin/syncapp/tenant/{merchant_in_trouble.pk}/change/")
    expect(page.get_by_test_id("connections-health")).to_be_visible()
    expect(page.get_by_text("Grant token")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "admin-tenant-page-staff.png"), full_page=True)

    page.get_by_role("button", name="View as merchant (read-only)").click()
    expect(page.get_by_test_id("view-as-banner")).to_contain_text("Viewing Nordlys Design ApS")
    page.screenshot(path=str(ARTIFACTS / "view-as-dashboard.png"), full_page=True)
    assert ViewAsSession.objects.get().staff == staff
    page.get_by_role("button", name="Stop viewing").click()
    expect(page.get_by_test_id("view-as-banner")).to_have_count(0)
