"""Connect with Stripe against the emulator over HTTP: the install link's state, the callback, the
token refresh (one at a time per account), Disconnect, and the platform's Connect endpoint."""

import json
import threading
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from celery import current_app
from django.core import mail
from django.db import connection
from django.utils import timezone

from customers.models import ConnectionPause, StripeEvent
from sandbox.stripe_api import control, oauth
from sandbox.stripe_api.models import OAuthCode, OAuthGrant
from syncapp.clients.stripe import StripeGrantRefused
from syncapp.connections.clients import NotConnected, stripe_client_for
from syncapp.connections.stripe import stripe_disconnect
from syncapp.connections.stripe_platform import stripe_access_token
from syncapp.models import ConnectionStatus, Role, StripeConnection
from tests.conftest import wait_for
from tests.factories import MembershipFactory
from tests.fixtures_stripe import first_account

pytestmark = pytest.mark.django_db(transaction=True)


def _install(client, tenant, stripe_account, *, approve=True, browser=None):
    """Click "Connect with Stripe", answer Stripe's consent page; the callback's response."""
    browser = browser or client
    started = client.post(f"/t/{tenant.slug}/connections/stripe/app/connect/")
    assert started.status_code == 302
    link = urlparse(started["Location"])
    query = {k: v[0] for k, v in parse_qs(link.query).items()}
    consent = client.get(link.path, query)
    assert consent.status_code == 200 and stripe_account.account.stripe_id in consent.content.decode()
    answer = client.post(
        link.path,
        {**query, "account": stripe_account.account.stripe_id, "decision": "approve" if approve else "deny"},
    )
    back = urlparse(answer["Location"])
    return browser.get(back.path, {k: v[0] for k, v in parse_qs(back.query).items()}), back


@pytest.fixture
def app_connected(owner_client, tenant, stripe_account, stripe_platform):
    response, _ = _install(owner_client, tenant, stripe_account)
    assert response.status_code == 302
    return first_account(tenant)


def test_connect_with_stripe_stores_the_grant_encrypted_and_calls_with_stripe_account(
    app_connected, stripe_account
):
    account = app_connected
    assert account.status == ConnectionStatus.CONNECTED and account.via_stripe_app
    assert account.account_id == stripe_account.account.stripe_id and account.api_key == ""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM syncapp_stripeconnection WHERE id = %s", [account.pk]
        )
        stored = cursor.fetchone()
    assert account.access_token not in stored and account.refresh_token not in stored
    stripe_account.create_customer(email="a@example.com")
    client = stripe_client_for(account)
    assert [c["email"] for c in client.iter_customers()] == ["a@example.com"]
    assert control.request_count(stripe_account.account, path="/v1/customers") >= 1


def test_a_forged_callback_connects_nothing_and_says_why(owner_client, tenant, stripe_platform):
    response = owner_client.get(
        "/connections/stripe/callback/", {"code": "ac_forged", "state": "made-up"}, follow=True
    )
    assert "not started here" in response.content.decode()
    assert first_account(tenant).status == ConnectionStatus.NOT_CONNECTED
    assert not OAuthGrant.objects.exists()


def test_a_replayed_callback_connects_nothing_more(owner_client, tenant, stripe_account, stripe_platform):
    _, back = _install(owner_client, tenant, stripe_account)
    OAuthGrant.objects.all().delete()
    StripeConnection.all_tenants.filter(tenant=tenant).update(status=ConnectionStatus.NOT_CONNECTED)
    replay = owner_client.get(back.path, {k: v[0] for k, v in parse_qs(back.query).items()}, follow=True)
    assert "already used" in replay.content.decode()
    assert first_account(tenant).status == ConnectionStatus.NOT_CONNECTED and not OAuthGrant.objects.exists()


def test_a_callback_in_another_members_session_connects_nothing(
    owner_client, client, tenant, stripe_account, stripe_platform, django_user_model
):
    other = MembershipFactory(tenant=tenant, role=Role.OWNER).user
    from django.test import Client

    browser = Client()
    browser.force_login(other)
    response, _ = _install(owner_client, tenant, stripe_account, browser=browser)
    assert response.status_code == 302
    assert first_account(tenant).status == ConnectionStatus.NOT_CONNECTED
    assert OAuthCode.objects.get().used is False  # the code was never even exchanged


def test_the_emulator_refuses_a_code_twice_and_an_unregistered_redirect(
    stripe_platform, stripe_account, live_server
):
    code = OAuthCode.objects.create(
        app=stripe_platform, account=stripe_account.account, code="ac_once", expires=2**31 - 1
    )
    token_url = f"{live_server.url}/sandbox/stripe/v1/oauth/token"
    auth = ("sk_test_platformKeyOfTheTests", "")
    first = requests.post(token_url, data={"grant_type": "authorization_code", "code": code.code}, auth=auth)
    again = requests.post(token_url, data={"grant_type": "authorization_code", "code": code.code}, auth=auth)
    assert first.status_code == 200 and first.json()["stripe_user_id"] == stripe_account.account.stripe_id
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    page = requests.get(
        f"{live_server.url}/sandbox/stripe/oauth/v2/authorize",
        params={
            "client_id": stripe_platform.client_id,
            "redirect_uri": "https://evil.example/cb",
            "state": "x",
        },
        allow_redirects=False,
    )
    assert page.status_code == 400


def test_stripe_account_header_is_refused_for_an_account_that_did_not_install(app_connected, live_server):
    other = control.account_for_key(
        __import__("sandbox.stripe_api.seed", fromlist=["seed_account"]).seed_account()
    )
    token = app_connected.access_token
    answer = requests.get(
        f"{live_server.url}/sandbox/stripe/v1/customers",
        headers={"Authorization": f"Bearer {token}", "Stripe-Account": other.stripe_id},
    )
    assert answer.status_code == 403


def test_concurrent_refreshes_spend_the_refresh_token_once(app_connected):
    StripeConnection.all_tenants.filter(pk=app_connected.pk).update(access_token_expires_at=timezone.now())
    tokens, errors = [], []

    def refresh():
        try:
            account = StripeConnection.all_tenants.select_related("tenant").get(pk=app_connected.pk)
            tokens.append(stripe_access_token(account=account))
        except Exception as exc:  # noqa: BLE001 (collected for the assertion)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(set(tokens)) == 1
    grant = OAuthGrant.objects.get(revoked=False)
    assert grant.access_token == tokens[0]
    account = StripeConnection.all_tenants.get(pk=app_connected.pk)
    assert account.refresh_token == grant.refresh_token and account.access_token_expires_at > timezone.now()


def test_a_refused_refresh_marks_the_connection_failing(app_connected):
    OAuthGrant.objects.update(refresh_token="rt_rotated_elsewhere")
    StripeConnection.all_tenants.filter(pk=app_connected.pk).update(access_token_expires_at=timezone.now())
    account = StripeConnection.all_tenants.select_related("tenant").get(pk=app_connected.pk)
    with pytest.raises(StripeGrantRefused):
        stripe_client_for(account)
    account.refresh_from_db()
    assert account.status == ConnectionStatus.FAILING and "connect with Stripe again" in account.last_error


def test_disconnect_revokes_the_grant_at_stripe(app_connected):
    assert stripe_disconnect(account=app_connected)
    assert OAuthGrant.objects.get().revoked
    account = StripeConnection.all_tenants.get(pk=app_connected.pk)
    assert account.status == ConnectionStatus.NOT_CONNECTED and account.refresh_token == ""
    with pytest.raises(NotConnected):
        stripe_client_for(account)


def test_connect_endpoint_routes_by_account_and_drops_unknown_accounts(app_connected, stripe_account, tenant):
    stripe_account.create_customer(email="routed@example.com")
    wait_for(lambda: StripeEvent.objects.for_tenant(tenant).exists(), message="event routed to the tenant")
    event = StripeEvent.objects.for_tenant(tenant).get()
    assert event.stripe_account_id == app_connected.pk
    # An account nobody here connects: acknowledged (Stripe stops retrying) and dropped.
    StripeConnection.all_tenants.filter(pk=app_connected.pk).update(status=ConnectionStatus.NOT_CONNECTED)
    stripe_account.create_customer(email="dropped@example.com")
    stripe_account.wait_for_deliveries()
    assert stripe_account.delivery_statuses()[-1] == 200
    assert StripeEvent.objects.for_tenant(tenant).count() == 1


@pytest.fixture
def tasks_in_process():
    eager, current_app.conf.task_always_eager = current_app.conf.task_always_eager, True
    yield
    current_app.conf.task_always_eager = eager


def test_removing_the_app_in_stripe_revokes_pauses_and_emails_the_owners(
    app_connected, stripe_account, tenant, owner, stripe_platform, owner_client, tasks_in_process
):
    oauth.app_uninstall(app=stripe_platform, stripe_user_id=stripe_account.account.stripe_id)
    stripe_account.wait_for_deliveries()
    account = StripeConnection.all_tenants.get(pk=app_connected.pk)
    assert account.status == ConnectionStatus.REVOKED and account.refresh_token == ""
    pause = ConnectionPause.objects.for_tenant(tenant).get(service="stripe")
    assert pause.reason == ConnectionPause.Reason.REFUSED
    wait_for(lambda: len(mail.outbox) == 1, message="the owners' e-mail")
    assert mail.outbox[0].to == [owner.email] and "removed in Stripe" in mail.outbox[0].body
    page = owner_client.get(f"/t/{tenant.slug}/")
    assert b"stripe-revoked-banner" in page.content
    with pytest.raises(NotConnected):
        stripe_client_for(account)

    # Connecting again resumes the tenant's work (and reconciles what Stripe sent meanwhile).
    _install(owner_client, tenant, stripe_account)
    assert StripeConnection.all_tenants.get(pk=app_connected.pk).status == ConnectionStatus.CONNECTED
    assert not ConnectionPause.objects.for_tenant(tenant).get(service="stripe").active
    assert not owner_client.get(f"/t/{tenant.slug}/").context.get("stripe_revoked_accounts")


def test_the_revoked_status_and_its_pause_commit_together(app_connected, stripe_account, tenant, monkeypatch):
    """A reader never sees the account revoked without its pause: a pause that cannot be written
    leaves the account connected, and Stripe's retry of the event revokes it then."""
    from customers import receivers
    from syncapp.connections.stripe_app import stripe_app_deauthorized

    def unwritable(**kwargs):
        raise RuntimeError("the database refused the pause")

    monkeypatch.setattr(receivers, "pause_on_revoked", unwritable)
    with pytest.raises(RuntimeError):
        stripe_app_deauthorized(stripe_user_id=app_connected.account_id, livemode=app_connected.livemode)
    assert StripeConnection.all_tenants.get(pk=app_connected.pk).status == ConnectionStatus.CONNECTED
    monkeypatch.undo()
    stripe_app_deauthorized(stripe_user_id=app_connected.account_id, livemode=app_connected.livemode)
    assert StripeConnection.all_tenants.get(pk=app_connected.pk).status == ConnectionStatus.REVOKED
    assert ConnectionPause.objects.for_tenant(tenant).get(service="stripe").active


def test_the_connect_endpoint_refuses_an_event_of_the_other_mode(app_connected, live_server, stripe_account):
    from sandbox.stripe_api.delivery import signature_header

    event = {
        "id": "evt_live1",
        "object": "event",
        "type": "customer.created",
        "livemode": True,
        "created": 1700000000,
        "account": stripe_account.account.stripe_id,
        "data": {"object": {"id": "cus_1", "object": "customer"}},
    }
    body = json.dumps(event)
    answer = requests.post(
        f"{live_server.url}/webhooks/stripe/connect/",
        data=body.encode(),
        headers={"Stripe-Signature": signature_header(body, "whsec_platformSecretOfTheTests")},
    )
    assert answer.status_code == 400 and "live-mode event" in answer.json()["error"]


def test_the_callback_needs_a_login_and_the_connect_endpoint_a_platform_signature(client, stripe_platform):
    callback = client.get("/connections/stripe/callback/", {"code": "ac_x", "state": "y"})
    assert callback.status_code == 302 and callback["Location"].startswith("/login/")
    unsigned = client.post("/webhooks/stripe/connect/", b"{}", content_type="application/json")
    assert unsigned.status_code == 400


def test_the_connect_endpoint_is_not_served_when_connect_with_stripe_is_off(client, settings, db):
    settings.STRIPE_OAUTH_ENABLED = False
    assert client.post("/webhooks/stripe/connect/", b"{}", content_type="application/json").status_code == 404


def test_the_emulator_refuses_an_expired_code_and_a_spent_refresh_token(
    stripe_platform, stripe_account, live_server
):
    token_url = f"{live_server.url}/sandbox/stripe/v1/oauth/token"
    auth = ("sk_test_platformKeyOfTheTests", "")
    OAuthCode.objects.create(app=stripe_platform, account=stripe_account.account, code="ac_late", expires=1)
    late = requests.post(token_url, data={"grant_type": "authorization_code", "code": "ac_late"}, auth=auth)
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"
    grant = control.app_install(stripe_platform, stripe_account.account)
    rotated = requests.post(
        token_url, data={"grant_type": "refresh_token", "refresh_token": grant.refresh_token}, auth=auth
    )
    spent = requests.post(
        token_url, data={"grant_type": "refresh_token", "refresh_token": grant.refresh_token}, auth=auth
    )
    assert rotated.status_code == 200 and rotated.json()["refresh_token"] != grant.refresh_token
    assert spent.status_code == 400 and spent.json()["error"] == "invalid_grant"
    # The merchant's own key cannot stand in for the platform's.
    own = requests.post(
        token_url,
        data={"grant_type": "refresh_token", "refresh_token": rotated.json()["refresh_token"]},
        auth=(stripe_account.api_key, ""),
    )
    assert own.status_code == 400
