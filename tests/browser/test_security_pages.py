"""Issue 20 in chromium: a new owner is asked to verify the e-mail before inviting, resets a
forgotten password through the e-mailed link, and no page breaks the Content-Security-Policy."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from syncapp.models import Tenant
from tests.conftest import ROOT, admin_login
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = ROOT / "test-artifacts"


def _csp_violations(page) -> list[str]:
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    return violations


def test_a_new_owner_verifies_the_email_then_invites(page, live_server, settings):
    settings.SITE_URL = live_server.url
    violations = _csp_violations(page)
    page.goto(f"{live_server.url}/signup/")
    page.get_by_label("Company name").fill("Nordlys Design ApS")
    page.get_by_label("E-mail").fill("anna@nordlys.dk")
    page.get_by_label("Password").fill("correct horse battery 7")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("status")).to_contain_text("open it to verify your e-mail")

    page.get_by_role("link", name="Members").click()
    expect(page.get_by_test_id("verify-email")).to_be_visible()
    page.screenshot(path=f"{ARTIFACTS}/members-verify-email.png", full_page=True)
    page.get_by_role("textbox", name="E-mail").fill("bo@nordlys.dk")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Verify your e-mail address first")

    link = re.search(r"https?://\S+/verify-email/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    expect(page.get_by_test_id("email-verified")).to_contain_text("anna@nordlys.dk is verified")
    page.screenshot(path=f"{ARTIFACTS}/email-verified.png", full_page=True)
    slug = Tenant.objects.get().slug
    page.goto(f"{live_server.url}/t/{slug}/members/")
    expect(page.get_by_test_id("verify-email")).to_have_count(0)
    page.get_by_role("textbox", name="E-mail").fill("bo@nordlys.dk")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Invitation sent to bo@nordlys.dk")
    assert violations == []


def test_a_forgotten_password_is_reset_in_the_browser(page, live_server, settings):
    settings.SITE_URL = live_server.url
    violations = _csp_violations(page)
    UserFactory(username="anna@nordlys.dk")
    page.goto(f"{live_server.url}/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("E-mail").fill("anna@nordlys.dk")
    page.screenshot(path=f"{ARTIFACTS}/password-reset-form.png", full_page=True)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_test_id("password-reset-sent")).to_be_visible()

    link = re.search(r"https?://\S+/password-reset/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    page.get_by_label("New password", exact=True).fill("a brand new passphrase 9")
    page.get_by_label("New password confirmation").fill("a brand new passphrase 9")
    page.screenshot(path=f"{ARTIFACTS}/password-reset-confirm.png", full_page=True)
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_test_id("password-reset-complete")).to_be_visible()
    page.get_by_role("link", name="Log in").last.click()
    page.get_by_label("E-mail").fill("anna@nordlys.dk")
    page.get_by_label("Password").fill("a brand new passphrase 9")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert violations == []


def test_the_support_console_keeps_to_the_content_security_policy(page, live_server, client):
    violations = _csp_violations(page)
    staff = UserFactory(is_staff=True, is_superuser=True)
    admin_login(client, staff)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    pages = ("/admin/", "/admin/syncapp/tenant/", "/admin/auth/user/", f"/admin/auth/user/{staff.pk}/change/")
    for path in pages:
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("#content")).to_be_visible()
    page.screenshot(path=f"{ARTIFACTS}/admin-user-without-password-hash.png", full_page=True)
    assert violations == []
