"""Connecting e-conomic: the grant page, its callback, verify-then-store, disconnect; against the
emulator over real HTTP (the live server)."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from syncapp.connections.common import CredentialRefused
from syncapp.connections.economic import economic_connect, economic_disconnect
from syncapp.models import ConnectionStatus
from tests.connections.helpers import UNREACHABLE, economic_connection, start_grant

pytestmark = pytest.mark.django_db(transaction=True)


def test_economic_connect_stores_the_grant_with_agreement_and_company(
    tenant, economic_agreement, sandbox_urls
):
    economic_connect(tenant=tenant, grant_token=economic_agreement.grant_token)

    connection = economic_connection(tenant)
    assert connection.status == ConnectionStatus.CONNECTED
    assert connection.grant_token == economic_agreement.grant_token
    assert connection.agreement_number == economic_agreement.agreement_number
    assert connection.company_name == "Testfirma ApS"
    assert connection.verified_at is not None
    assert len(economic_agreement.requests_since(0, method="GET", path="/self")) == 1


def test_refused_grant_stores_nothing(tenant, economic_agreement, sandbox_urls):
    with pytest.raises(CredentialRefused) as refused:
        economic_connect(tenant=tenant, grant_token="not-a-grant-anyone-issued")
    assert refused.value.credential == "economic_grant_token"
    assert "did not accept the access grant" in refused.value.message
    assert economic_connection(tenant) is None


def test_refused_grant_keeps_the_connection_already_there(tenant, economic_agreement, sandbox_urls):
    economic_connect(tenant=tenant, grant_token=economic_agreement.grant_token)
    with pytest.raises(CredentialRefused):
        economic_connect(tenant=tenant, grant_token="revoked-or-made-up")
    connection = economic_connection(tenant)
    assert connection.grant_token == economic_agreement.grant_token
    assert connection.status == ConnectionStatus.CONNECTED


def test_unreachable_economic_is_a_clear_message_and_stores_nothing(
    tenant, economic_agreement, economic_app_settings
):
    economic_app_settings.ECONOMIC_API_URL = UNREACHABLE
    with pytest.raises(CredentialRefused) as refused:
        economic_connect(tenant=tenant, grant_token=economic_agreement.grant_token)
    assert "could not be reached" in refused.value.message
    assert economic_connection(tenant) is None


def test_connect_button_sends_the_merchant_to_the_grant_page_with_our_callback(
    owner_client, tenant, sandbox_urls, economic_app_settings
):
    response = owner_client.post(reverse("economic_connect", args=[tenant.slug]))

    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == sandbox_urls["ECONOMIC_GRANT_URL"]
    query = parse_qs(location.query)
    assert query["appPublicToken"] == ["sandbox-app-public"]
    callback = query["redirectUrl"][0]
    assert callback.startswith(f"{sandbox_urls['SITE_URL']}/t/{tenant.slug}/connections/economic/callback/")
    state = callback.rstrip("/").rsplit("/", 1)[1]
    assert len(state) >= 32


def test_callback_with_the_session_state_connects(owner_client, tenant, economic_agreement, sandbox_urls):
    callback = start_grant(owner_client, tenant)
    response = owner_client.get(callback, {"token": economic_agreement.grant_token}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("connections", args=[tenant.slug])
    assert economic_connection(tenant).agreement_number == economic_agreement.agreement_number
    assert "e-conomic is connected" in response.content.decode()


def test_callback_with_another_state_is_ignored_and_stores_nothing(
    owner_client, tenant, economic_agreement, sandbox_urls
):
    start_grant(owner_client, tenant)
    forged = reverse("economic_callback", args=[tenant.slug, "a-state-from-someone-else"])
    response = owner_client.get(forged, {"token": economic_agreement.grant_token}, follow=True)

    assert economic_connection(tenant) is None
    assert "was not started from this browser" in response.content.decode()


def test_callback_without_a_grant_in_progress_stores_nothing(
    owner_client, tenant, economic_agreement, sandbox_urls
):
    """An attacker's link with their own grant token, opened by a logged-in merchant."""
    planted = reverse("economic_callback", args=[tenant.slug, "x" * 32])
    owner_client.get(planted, {"token": economic_agreement.grant_token})
    assert economic_connection(tenant) is None


def test_state_is_single_use(owner_client, tenant, economic_agreement, sandbox_urls):
    callback = start_grant(owner_client, tenant)
    owner_client.get(callback, {"token": economic_agreement.grant_token})
    economic_disconnect(tenant=tenant)
    owner_client.get(callback, {"token": economic_agreement.grant_token})
    assert economic_connection(tenant).grant_token == ""


def test_callback_with_a_refused_grant_shows_why(owner_client, tenant, economic_agreement, sandbox_urls):
    callback = start_grant(owner_client, tenant)
    response = owner_client.get(callback, {"token": "made-up"}, follow=True)
    assert "did not accept the access grant" in response.content.decode()
    assert economic_connection(tenant) is None


def test_disconnect_forgets_the_grant(owner_client, tenant, economic_agreement, sandbox_urls):
    economic_connect(tenant=tenant, grant_token=economic_agreement.grant_token)
    owner_client.post(reverse("economic_disconnect", args=[tenant.slug]))
    connection = economic_connection(tenant)
    assert connection.grant_token == ""
    assert connection.status == ConnectionStatus.NOT_CONNECTED
