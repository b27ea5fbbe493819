"""Login throttling (django-axes) on /login/ and /admin/, and passwords kept out of error reports."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.views.debug import SafeExceptionReporterFilter

from syncapp import proxies
from tests.factories import PASSWORD, UserFactory

ADDRESS, OTHER_ADDRESS = "203.0.113.7", "198.51.100.9"


@pytest.fixture
def user(db):
    return UserFactory(username="anna@nordlys.dk", email="anna@nordlys.dk")


def _log_in(client, email, password, *, address=ADDRESS, path="/login/"):
    return client.post(path, {"username": email, "password": password}, REMOTE_ADDR=address)


def _fail(client, times, *, email="anna@nordlys.dk", address=ADDRESS, path="/login/"):
    return [_log_in(client, email, "wrong-password", address=address, path=path) for _ in range(times)]


def test_four_failures_still_show_the_login_form(client, user):
    responses = _fail(client, 4)
    assert [r.status_code for r in responses] == [200] * 4
    page = responses[-1].content.decode()
    assert "That e-mail and password do not match an account" in page
    assert "correct username" not in page  # the form asks for an e-mail, not a username (issue 21)
    assert _log_in(client, "anna@nordlys.dk", PASSWORD).status_code == 302


def test_five_failures_lock_the_account_at_that_address_with_a_clear_page(client, user):
    *_, fifth = _fail(client, 5)
    assert fifth.status_code == 429
    page = " ".join(fifth.content.decode().split())
    assert 'data-testid="locked-out"' in page
    assert "after 5 wrong passwords this account is locked from your address for 15 minutes." in page
    assert "<!doctype html>" in page  # the site's own page, not a bare text
    # Even the right password is refused now, whatever the e-mail's case.
    locked = _log_in(client, "Anna@Nordlys.dk", PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_lockout_is_for_that_account_and_that_address_only(client, user):
    UserFactory(username="bo@nordlys.dk")
    _fail(client, 5)
    assert _log_in(client, "anna@nordlys.dk", PASSWORD, address=OTHER_ADDRESS).status_code == 302
    client.logout()
    assert _log_in(client, "bo@nordlys.dk", PASSWORD).status_code == 302


def test_a_lockout_ends_after_15_minutes(client, user):
    _fail(client, 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=1))
    assert _log_in(client, "anna@nordlys.dk", PASSWORD).status_code == 302


def test_a_successful_login_resets_the_count(client, user):
    _fail(client, 4)
    assert _log_in(client, "anna@nordlys.dk", PASSWORD).status_code == 302
    client.logout()
    assert [r.status_code for r in _fail(client, 4)] == [200] * 4


def test_the_admin_login_is_throttled_the_same_way(client, user):
    staff = UserFactory(username="support@example.com", is_staff=True, is_superuser=True)
    *_, fifth = _fail(client, 5, email=staff.username, path="/admin/login/")
    assert fifth.status_code == 429
    assert 'data-testid="locked-out"' in fifth.content.decode()
    assert _log_in(client, staff.username, PASSWORD, path="/admin/login/").status_code == 429


def test_behind_a_proxy_the_forwarded_client_address_is_the_one_counted(client, user, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    proxy = "10.0.0.2"
    for _ in range(5):
        # The client forges a first hop; the load balancer appends the address it really saw.
        client.post(
            "/login/",
            {"username": "anna@nordlys.dk", "password": "wrong-password"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=f"1.2.3.4, {ADDRESS}",
        )
    other_client_via_the_same_proxy = client.post(
        "/login/",
        {"username": "anna@nordlys.dk", "password": PASSWORD},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR=OTHER_ADDRESS,
    )
    assert other_client_via_the_same_proxy.status_code == 302
    assert AccessAttempt.objects.get().ip_address == ADDRESS


def test_client_address_reads_forwarded_hops_from_the_right_past_the_trusted_proxies(settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 5.5.5.5, 10.0.0.1"
    )
    settings.TRUSTED_PROXIES = []
    assert proxies.client_address(request) == "10.0.0.2"
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    assert proxies.client_address(request) == "5.5.5.5"
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "5.5.5.5"]  # a chain of our proxies
    assert proxies.client_address(request) == "6.6.6.6"
    settings.TRUSTED_PROXIES = ["192.168.0.0/16"]  # the peer is not ours: the header is not read
    assert proxies.client_address(request) == "10.0.0.2"


def _reported_post(client, path, data):
    """What Django's error report would show of this request's POST data."""
    response = client.post(path, data)
    request = response.wsgi_request
    return SafeExceptionReporterFilter().get_post_parameters(request)


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_login_passwords_are_hidden_from_error_reports(client, user, path):
    reported = _reported_post(client, path, {"username": "anna@nordlys.dk", "password": "hunter2-secret"})
    assert "hunter2-secret" not in str(reported)


@pytest.mark.django_db
def test_signup_password_is_hidden_from_error_reports(client):
    data = {"company_name": "Nordlys", "email": "anna@nordlys.dk", "password": "hunter2-secret-xyz"}
    reported = _reported_post(client, reverse("signup"), data)
    assert "hunter2-secret-xyz" not in str(reported)
    assert reported["email"] == "anna@nordlys.dk"
