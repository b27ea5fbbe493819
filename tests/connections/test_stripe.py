"""Connecting Stripe: key checks, our webhook endpoint and its secret, the form, disconnect; against
the emulator over real HTTP (the live server)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.views.debug import SafeExceptionReporterFilter

from sandbox.stripe_api.models import ApiKey, WebhookEndpoint
from sandbox.stripe_api.seed import seed_account
from syncapp.connections.clients import stripe_client
from syncapp.connections.common import CredentialRefused
from syncapp.connections.stripe import stripe_connect
from syncapp.models import ConnectionStatus
from tests.connections.helpers import UNREACHABLE, stripe_connection, webhook_endpoints
from tests.fixtures_stripe import first_account

pytestmark = pytest.mark.django_db(transaction=True)


def test_stripe_connect_registers_our_webhook_endpoint_and_stores_its_secret(
    tenant, stripe_account, sandbox_urls
):
    stripe_connect(tenant=tenant, api_key=stripe_account.api_key)

    [endpoint] = webhook_endpoints(stripe_account)
    assert endpoint.url == f"{sandbox_urls['SITE_URL']}{first_account(tenant).webhook_path}"
    assert sorted(endpoint.enabled_events) == ["customer.created", "customer.deleted", "customer.updated"]
    connection = stripe_connection(tenant)
    assert connection.status == ConnectionStatus.CONNECTED
    assert connection.api_key == stripe_account.api_key
    assert connection.webhook_secret == endpoint.secret
    assert connection.webhook_endpoint_stripe_id == endpoint.stripe_id
    assert connection.livemode is False


def test_restricted_key_connects(tenant, stripe_account, sandbox_urls):
    restricted = ApiKey.objects.create(account=stripe_account.account, key="rk_test_" + "R" * 24).key
    stripe_connect(tenant=tenant, api_key=restricted)
    assert stripe_connection(tenant).api_key == restricted


def test_live_key_is_shown_as_live_mode(owner_client, tenant, stripe_account, sandbox_urls):
    live = ApiKey.objects.create(account=stripe_account.account, key="sk_live_" + "L" * 24).key
    stripe_connect(tenant=tenant, api_key=live)
    assert stripe_connection(tenant).livemode is True
    page = owner_client.get(reverse("connections", args=[tenant.slug])).content.decode()
    assert "Live mode" in page


def test_refused_key_stores_nothing_and_registers_nothing(tenant, stripe_account, sandbox_urls):
    with pytest.raises(CredentialRefused) as refused:
        stripe_connect(tenant=tenant, api_key="sk_test_" + "0" * 24)
    assert refused.value.credential == "stripe_api_key"
    assert "did not accept the API key" in refused.value.message
    assert stripe_connection(tenant) is None
    assert webhook_endpoints(stripe_account) == []


def test_publishable_key_is_refused_before_asking_stripe(tenant, stripe_account, sandbox_urls):
    with pytest.raises(CredentialRefused, match="publishable key"):
        stripe_connect(tenant=tenant, api_key="pk_test_" + "P" * 24)
    assert stripe_account.request_count() == 0
    assert stripe_connection(tenant) is None


def test_new_key_for_the_same_account_keeps_the_endpoint_and_its_secret(tenant, stripe_account, sandbox_urls):
    stripe_connect(tenant=tenant, api_key=stripe_account.api_key)
    secret = stripe_connection(tenant).webhook_secret
    rotated = ApiKey.objects.create(account=stripe_account.account, key="rk_test_" + "N" * 24).key

    stripe_connect(tenant=tenant, api_key=rotated)

    assert len(webhook_endpoints(stripe_account)) == 1
    connection = stripe_connection(tenant)
    assert (connection.api_key, connection.webhook_secret) == (rotated, secret)


def test_key_of_another_account_gets_a_new_endpoint_and_keeps_the_old_secret(
    tenant, stripe_account, sandbox_urls
):
    stripe_connect(tenant=tenant, api_key=stripe_account.api_key)
    old_secret = stripe_connection(tenant).webhook_secret
    other_key = seed_account()

    stripe_connect(tenant=tenant, api_key=other_key)

    connection = stripe_connection(tenant)
    assert connection.webhook_secret not in ("", old_secret)
    assert connection.previous_webhook_secret == old_secret
    assert WebhookEndpoint.objects.get(
        stripe_id=connection.webhook_endpoint_stripe_id
    ).account.keys.get().key == (other_key)
    # Events signed with the old secret are accepted for Stripe's 24 hours, not longer.
    remaining = connection.previous_webhook_secret_until - timezone.now()
    assert timedelta(hours=23, minutes=59) < remaining <= timedelta(hours=24)
    # The endpoint we had registered in the old account is gone: no event arrives twice.
    assert webhook_endpoints(stripe_account) == []


def test_pasted_signing_secret_is_used_and_no_endpoint_is_made(tenant, stripe_account, sandbox_urls):
    stripe_connect(tenant=tenant, api_key=stripe_account.api_key, webhook_secret="whsec_" + "M" * 32)
    connection = stripe_connection(tenant)
    assert connection.webhook_secret == "whsec_" + "M" * 32
    assert connection.webhook_endpoint_stripe_id == ""
    assert webhook_endpoints(stripe_account) == []


def test_secret_that_is_not_whsec_is_refused(tenant, stripe_account, sandbox_urls):
    with pytest.raises(CredentialRefused) as refused:
        stripe_connect(tenant=tenant, api_key=stripe_account.api_key, webhook_secret="sk_test_nope")
    assert refused.value.credential == "stripe_webhook_secret"
    assert stripe_connection(tenant) is None


def test_unreachable_stripe_is_a_clear_message_and_stores_nothing(tenant, stripe_account, settings):
    settings.STRIPE_API_BASE = UNREACHABLE
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    with pytest.raises(CredentialRefused, match="could not be reached"):
        stripe_connect(tenant=tenant, api_key=stripe_account.api_key)
    assert stripe_connection(tenant) is None


def test_stripe_form_connects_and_shows_the_key_only_masked(
    owner_client, tenant, stripe_account, sandbox_urls
):
    url = reverse("connections", args=[tenant.slug])
    response = owner_client.post(url, {"api_key": f"  {stripe_account.api_key} "}, follow=True)
    page = response.content.decode()
    assert "Stripe is connected (test mode)" in page
    assert f"•••• {stripe_account.api_key[-4:]}" in page
    assert stripe_account.api_key not in page


def test_stripe_form_with_a_refused_key_shows_the_reason_inline(
    owner_client, tenant, stripe_account, sandbox_urls
):
    bad = "sk_test_" + "9" * 24
    response = owner_client.post(reverse("connections", args=[tenant.slug]), {"api_key": bad})
    page = response.content.decode()
    assert response.status_code == 200
    assert "did not accept the API key" in page
    assert bad not in page  # not even echoed back into the input
    assert stripe_connection(tenant) is None


def test_stripe_disconnect_forgets_key_and_secrets(owner_client, tenant, stripe_account, sandbox_urls):
    stripe_connect(tenant=tenant, api_key=stripe_account.api_key)
    owner_client.post(reverse("stripe_disconnect", args=[tenant.slug, first_account(tenant).pk]))
    connection = first_account(tenant)
    assert (connection.api_key, connection.webhook_secret, connection.status) == ("", "", "not_connected")
    # Our endpoint is deleted at Stripe too, so it stops sending events nobody can verify.
    gateway = stripe_client(stripe_account.api_key)
    assert gateway.list_webhook_endpoints() == []
    gateway.close()


def test_the_stripe_key_and_secret_are_hidden_from_error_reports(owner_client, tenant, settings):
    settings.STRIPE_API_BASE = UNREACHABLE  # nothing answers: the form shows a refusal
    data = {"api_key": "sk_test_hidden_1234567890", "webhook_secret": "whsec_hidden_1234567890"}
    response = owner_client.post(reverse("connections", kwargs={"slug": tenant.slug}), data)
    reported = str(SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request))
    assert "sk_test_hidden" not in reported and "whsec_hidden" not in reported
