"""Who may do what on the Connections page, the status badges on it and on the dashboard, and
secrets that are never logged nor rendered."""

import logging

import pytest
from django.urls import reverse

from syncapp.connections.economic import economic_connect
from syncapp.connections.stripe import stripe_connect
from syncapp.models import ConnectionStatus
from tests.connections.helpers import economic_connection, start_grant, stripe_connection
from tests.fixtures_stripe import first_account

pytestmark = pytest.mark.django_db(transaction=True)


def test_viewer_sees_the_status_but_cannot_change_anything(
    viewer_client, tenant, economic_agreement, stripe_account, sandbox_urls
):
    page = viewer_client.get(reverse("connections", args=[tenant.slug])).content.decode()
    assert "Not connected" in page
    assert "Connect e-conomic" not in page and 'name="api_key"' not in page
    for name in ("economic_connect", "economic_disconnect", "connections_check"):
        assert viewer_client.post(reverse(name, args=[tenant.slug])).status_code == 403
    disconnect = reverse("stripe_disconnect", args=[tenant.slug, first_account(tenant).pk])
    assert viewer_client.post(disconnect).status_code == 403
    response = viewer_client.post(
        reverse("connections", args=[tenant.slug]), {"api_key": stripe_account.api_key}
    )
    assert response.status_code == 403
    callback = reverse("economic_callback", args=[tenant.slug, "s" * 32])
    assert viewer_client.get(callback, {"token": economic_agreement.grant_token}).status_code == 403
    assert stripe_connection(tenant) is None and economic_connection(tenant) is None


def test_outsider_gets_404(outsider_client, tenant):
    assert outsider_client.get(reverse("connections", args=[tenant.slug])).status_code == 404


def test_revoked_grant_shows_as_failing_after_a_check(owner_client, tenant, economic_agreement, sandbox_urls):
    economic_connect(tenant=tenant, grant_token=economic_agreement.grant_token)
    economic_agreement.revoke()

    owner_client.post(reverse("connections_check", args=[tenant.slug]))

    connection = economic_connection(tenant)
    assert connection.status == ConnectionStatus.FAILING
    assert "did not accept the access grant" in connection.last_error
    assert connection.grant_token == economic_agreement.grant_token  # kept: the merchant may re-grant
    dashboard = owner_client.get(reverse("dashboard", args=[tenant.slug])).content.decode()
    assert 'data-testid="panel-economic-status">Failing' in dashboard
    assert "did not accept the access grant" in dashboard


def test_dashboard_panel_shows_each_status(owner_client, tenant, stripe_account, sandbox_urls):
    stripe_connect(tenant=tenant, api_key=stripe_account.api_key)
    dashboard = owner_client.get(reverse("dashboard", args=[tenant.slug])).content.decode()
    assert 'data-testid="panel-stripe-status">Connected' in dashboard
    assert 'data-testid="panel-economic-status">Not connected' in dashboard
    assert "test mode" in dashboard


def test_secrets_are_never_logged_nor_rendered(
    caplog, owner_client, tenant, economic_agreement, stripe_account, sandbox_urls
):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="stripe")
    callback = start_grant(owner_client, tenant)
    owner_client.get(callback, {"token": economic_agreement.grant_token})
    owner_client.post(reverse("connections", args=[tenant.slug]), {"api_key": stripe_account.api_key})
    owner_client.post(reverse("connections_check", args=[tenant.slug]))
    webhook_secret = stripe_connection(tenant).webhook_secret
    assert (
        economic_connection(tenant).status == stripe_connection(tenant).status == ConnectionStatus.CONNECTED
    )

    pages = "".join(
        owner_client.get(reverse(name, args=[tenant.slug])).content.decode()
        for name in ("connections", "dashboard")
    )
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert caplog.records  # the connect did log (so the absence below means something)
    for secret in (economic_agreement.grant_token, stripe_account.api_key, webhook_secret):
        assert secret not in logged
        assert secret not in pages
        assert f"•••• {secret[-4:]}" in pages
