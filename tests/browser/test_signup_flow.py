"""A merchant in a real browser (Debian's chromium): sign up, log out and in, and isolation."""

import pytest
from playwright.sync_api import expect

from syncapp.models import Tenant
from tests.conftest import ROOT
from tests.factories import MembershipFactory

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "test-artifacts"


def test_sign_up_log_out_and_in_and_another_user_gets_404(page, live_server, login_page):
    page.goto(f"{live_server.url}/signup/")
    page.get_by_label("Company name").fill("Nordlys Design ApS")
    page.get_by_label("E-mail").fill("anna@nordlys.dk")
    page.get_by_label("Password").fill("correct horse battery 7")
    page.get_by_role("button", name="Sign up").click()

    expect(page.get_by_test_id("tenant-name")).to_have_text("Nordlys Design ApS")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nordlys Design ApS")
    page.screenshot(path=f"{ARTIFACTS}/dashboard-after-signup.png", full_page=True)
    dashboard_url = page.url
    assert dashboard_url.endswith("/t/nordlys-design-aps/")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.goto(dashboard_url)
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()  # sent to login

    page.get_by_label("E-mail").fill("anna@nordlys.dk")
    page.get_by_label("Password").fill("correct horse battery 7")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(dashboard_url)
    page.get_by_role("button", name="Log out").click()

    stranger = MembershipFactory().user
    login_page(stranger)
    response = page.goto(dashboard_url)
    assert response.status == 404
    assert Tenant.objects.filter(slug="nordlys-design-aps").exists()


def test_sign_up_shows_field_errors_inline(page, live_server):
    page.goto(f"{live_server.url}/signup/")
    page.get_by_label("Company name").fill("Shop")
    page.get_by_label("E-mail").fill("not-an-email")
    page.get_by_label("Password").fill("123")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    page.screenshot(path=f"{ARTIFACTS}/signup-errors.png", full_page=True)
    assert not Tenant.objects.exists()
