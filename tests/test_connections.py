"""Connecting Stripe and e-conomic: the services, the page, `tenant_connect`, `sandbox_seed` and
`demo_setup`, against the emulators over real HTTP (the live server)."""

import json
import logging
import subprocess
import sys
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from mappings.selectors import sync_settings_for
from sandbox.economic_api.models import Agreement
from sandbox.economic_api.models import Customer as EconomicCustomer
from sandbox.economic_api.seed import DEFAULT_APP_SECRET
from sandbox.stripe_api.models import ApiKey, WebhookEndpoint
from sandbox.stripe_api.models import Customer as StripeCustomer
from sandbox.stripe_api.seed import seed_account
from syncapp import connections as services
from syncapp.connections import CredentialRefused, economic_client_for, stripe_client, stripe_client_for
from syncapp.models import ConnectionStatus, EconomicConnection, StripeConnection, Tenant
from tests.conftest import ROOT
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)

UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens there


def _economic(tenant) -> EconomicConnection | None:
    return EconomicConnection.objects.for_tenant(tenant).first()


def _stripe(tenant) -> StripeConnection | None:
    return StripeConnection.objects.for_tenant(tenant).first()


def _endpoints(stripe_account) -> list[WebhookEndpoint]:
    return list(WebhookEndpoint.objects.filter(account=stripe_account.account).order_by("id"))


# --- e-conomic -----------------------------------------------------------------------------


def test_economic_connect_stores_the_grant_with_agreement_and_company(
    tenant, economic_agreement, sandbox_urls
):
    services.economic_connect(tenant=tenant, grant_token=economic_agreement.grant_token)

    connection = _economic(tenant)
    assert connection.status == ConnectionStatus.CONNECTED
    assert connection.grant_token == economic_agreement.grant_token
    assert connection.agreement_number == economic_agreement.agreement_number
    assert connection.company_name == "Testfirma ApS"
    assert connection.verified_at is not None
    assert len(economic_agreement.requests_since(0, method="GET", path="/self")) == 1


def test_refused_grant_stores_nothing(tenant, economic_agreement, sandbox_urls):
    with pytest.raises(CredentialRefused) as refused:
        services.economic_connect(tenant=tenant, grant_token="not-a-grant-anyone-issued")
    assert refused.value.credential == "economic_grant_token"
    assert "did not accept the access grant" in refused.value.message
    assert _economic(tenant) is None


def test_refused_grant_keeps_the_connection_already_there(tenant, economic_agreement, sandbox_urls):
    services.economic_connect(tenant=tenant, grant_token=economic_agreement.grant_token)
    with pytest.raises(CredentialRefused):
        services.economic_connect(tenant=tenant, grant_token="revoked-or-made-up")
    connection = _economic(tenant)
    assert connection.grant_token == economic_agreement.grant_token
    assert connection.status == ConnectionStatus.CONNECTED


def test_unreachable_economic_is_a_clear_message_and_stores_nothing(
    tenant, economic_agreement, economic_app_settings
):
    economic_app_settings.ECONOMIC_API_URL = UNREACHABLE
    with pytest.raises(CredentialRefused) as refused:
        services.economic_connect(tenant=tenant, grant_token=economic_agreement.grant_token)
    assert "could not be reached" in refused.value.message
    assert _economic(tenant) is None


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


def _start_grant(client, tenant) -> str:
    """Press "Connect e-conomic"; the callback path e-conomic would send the browser back to."""
    response = client.post(reverse("economic_connect", args=[tenant.slug]))
    return urlsplit(parse_qs(urlsplit(response["Location"]).query)["redirectUrl"][0]).path


def test_callback_with_the_session_state_connects(owner_client, tenant, economic_agreement, sandbox_urls):
    callback = _start_grant(owner_client, tenant)
    response = owner_client.get(callback, {"token": economic_agreement.grant_token}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("connections", args=[tenant.slug])
    assert _economic(tenant).agreement_number == economic_agreement.agreement_number
    assert "e-conomic is connected" in response.content.decode()


def test_callback_with_another_state_is_ignored_and_stores_nothing(
    owner_client, tenant, economic_agreement, sandbox_urls
):
    _start_grant(owner_client, tenant)
    forged = reverse("economic_callback", args=[tenant.slug, "a-state-from-someone-else"])
    response = owner_client.get(forged, {"token": economic_agreement.grant_token}, follow=True)

    assert _economic(tenant) is None
    assert "was not started from this browser" in response.content.decode()


def test_callback_without_a_grant_in_progress_stores_nothing(
    owner_client, tenant, economic_agreement, sandbox_urls
):
    """An attacker's link with their own grant token, opened by a logged-in merchant."""
    planted = reverse("economic_callback", args=[tenant.slug, "x" * 32])
    owner_client.get(planted, {"token": economic_agreement.grant_token})
    assert _economic(tenant) is None


def test_state_is_single_use(owner_client, tenant, economic_agreement, sandbox_urls):
    callback = _start_grant(owner_client, tenant)
    owner_client.get(callback, {"token": economic_agreement.grant_token})
    services.economic_disconnect(tenant=tenant)
    owner_client.get(callback, {"token": economic_agreement.grant_token})
    assert _economic(tenant).grant_token == ""


def test_callback_with_a_refused_grant_shows_why(owner_client, tenant, economic_agreement, sandbox_urls):
    callback = _start_grant(owner_client, tenant)
    response = owner_client.get(callback, {"token": "made-up"}, follow=True)
    assert "did not accept the access grant" in response.content.decode()
    assert _economic(tenant) is None


def test_disconnect_forgets_the_grant(owner_client, tenant, economic_agreement, sandbox_urls):
    services.economic_connect(tenant=tenant, grant_token=economic_agreement.grant_token)
    owner_client.post(reverse("economic_disconnect", args=[tenant.slug]))
    connection = _economic(tenant)
    assert connection.grant_token == ""
    assert connection.status == ConnectionStatus.NOT_CONNECTED


# --- Stripe --------------------------------------------------------------------------------


def test_stripe_connect_registers_our_webhook_endpoint_and_stores_its_secret(
    tenant, stripe_account, sandbox_urls
):
    services.stripe_connect(tenant=tenant, api_key=stripe_account.api_key)

    [endpoint] = _endpoints(stripe_account)
    assert endpoint.url == f"{sandbox_urls['SITE_URL']}{tenant.webhook_path}"
    assert sorted(endpoint.enabled_events) == ["customer.created", "customer.deleted", "customer.updated"]
    connection = _stripe(tenant)
    assert connection.status == ConnectionStatus.CONNECTED
    assert connection.api_key == stripe_account.api_key
    assert connection.webhook_secret == endpoint.secret
    assert connection.webhook_endpoint_stripe_id == endpoint.stripe_id
    assert connection.livemode is False


def test_restricted_key_connects(tenant, stripe_account, sandbox_urls):
    restricted = ApiKey.objects.create(account=stripe_account.account, key="rk_test_" + "R" * 24).key
    services.stripe_connect(tenant=tenant, api_key=restricted)
    assert _stripe(tenant).api_key == restricted


def test_live_key_is_shown_as_live_mode(owner_client, tenant, stripe_account, sandbox_urls):
    live = ApiKey.objects.create(account=stripe_account.account, key="sk_live_" + "L" * 24).key
    services.stripe_connect(tenant=tenant, api_key=live)
    assert _stripe(tenant).livemode is True
    page = owner_client.get(reverse("connections", args=[tenant.slug])).content.decode()
    assert "Live mode" in page


def test_refused_key_stores_nothing_and_registers_nothing(tenant, stripe_account, sandbox_urls):
    with pytest.raises(CredentialRefused) as refused:
        services.stripe_connect(tenant=tenant, api_key="sk_test_" + "0" * 24)
    assert refused.value.credential == "stripe_api_key"
    assert "did not accept the API key" in refused.value.message
    assert _stripe(tenant) is None
    assert _endpoints(stripe_account) == []


def test_publishable_key_is_refused_before_asking_stripe(tenant, stripe_account, sandbox_urls):
    with pytest.raises(CredentialRefused, match="publishable key"):
        services.stripe_connect(tenant=tenant, api_key="pk_test_" + "P" * 24)
    assert stripe_account.request_count() == 0
    assert _stripe(tenant) is None


def test_new_key_for_the_same_account_keeps_the_endpoint_and_its_secret(tenant, stripe_account, sandbox_urls):
    services.stripe_connect(tenant=tenant, api_key=stripe_account.api_key)
    secret = _stripe(tenant).webhook_secret
    rotated = ApiKey.objects.create(account=stripe_account.account, key="rk_test_" + "N" * 24).key

    services.stripe_connect(tenant=tenant, api_key=rotated)

    assert len(_endpoints(stripe_account)) == 1
    connection = _stripe(tenant)
    assert (connection.api_key, connection.webhook_secret) == (rotated, secret)


def test_key_of_another_account_gets_a_new_endpoint_and_keeps_the_old_secret(
    tenant, stripe_account, sandbox_urls
):
    services.stripe_connect(tenant=tenant, api_key=stripe_account.api_key)
    old_secret = _stripe(tenant).webhook_secret
    other_key = seed_account()

    services.stripe_connect(tenant=tenant, api_key=other_key)

    connection = _stripe(tenant)
    assert connection.webhook_secret not in ("", old_secret)
    assert connection.previous_webhook_secret == old_secret
    assert WebhookEndpoint.objects.get(
        stripe_id=connection.webhook_endpoint_stripe_id
    ).account.keys.get().key == (other_key)


def test_pasted_signing_secret_is_used_and_no_endpoint_is_made(tenant, stripe_account, sandbox_urls):
    services.stripe_connect(tenant=tenant, api_key=stripe_account.api_key, webhook_secret="whsec_" + "M" * 32)
    connection = _stripe(tenant)
    assert connection.webhook_secret == "whsec_" + "M" * 32
    assert connection.webhook_endpoint_stripe_id == ""
    assert _endpoints(stripe_account) == []


def test_secret_that_is_not_whsec_is_refused(tenant, stripe_account, sandbox_urls):
    with pytest.raises(CredentialRefused) as refused:
        services.stripe_connect(tenant=tenant, api_key=stripe_account.api_key, webhook_secret="sk_test_nope")
    assert refused.value.credential == "stripe_webhook_secret"
    assert _stripe(tenant) is None


def test_unreachable_stripe_is_a_clear_message_and_stores_nothing(tenant, stripe_account, settings):
    settings.STRIPE_API_BASE = UNREACHABLE
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    with pytest.raises(CredentialRefused, match="could not be reached"):
        services.stripe_connect(tenant=tenant, api_key=stripe_account.api_key)
    assert _stripe(tenant) is None


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
    assert _stripe(tenant) is None


def test_stripe_disconnect_forgets_key_and_secrets(owner_client, tenant, stripe_account, sandbox_urls):
    services.stripe_connect(tenant=tenant, api_key=stripe_account.api_key)
    owner_client.post(reverse("stripe_disconnect", args=[tenant.slug]))
    connection = _stripe(tenant)
    assert (connection.api_key, connection.webhook_secret, connection.status) == ("", "", "not_connected")
    # Our endpoint is deleted at Stripe too, so it stops sending events nobody can verify.
    gateway = stripe_client(stripe_account.api_key)
    assert gateway.list_webhook_endpoints() == []
    gateway.close()


# --- who may do what, status badges ------------------------------------------------------------


def test_viewer_sees_the_status_but_cannot_change_anything(
    viewer_client, tenant, economic_agreement, stripe_account, sandbox_urls
):
    page = viewer_client.get(reverse("connections", args=[tenant.slug])).content.decode()
    assert "Not connected" in page
    assert "Connect e-conomic" not in page and 'name="api_key"' not in page
    for name in ("economic_connect", "economic_disconnect", "stripe_disconnect", "connections_check"):
        assert viewer_client.post(reverse(name, args=[tenant.slug])).status_code == 403
    response = viewer_client.post(
        reverse("connections", args=[tenant.slug]), {"api_key": stripe_account.api_key}
    )
    assert response.status_code == 403
    callback = reverse("economic_callback", args=[tenant.slug, "s" * 32])
    assert viewer_client.get(callback, {"token": economic_agreement.grant_token}).status_code == 403
    assert _stripe(tenant) is None and _economic(tenant) is None


def test_outsider_gets_404(outsider_client, tenant):
    assert outsider_client.get(reverse("connections", args=[tenant.slug])).status_code == 404


def test_revoked_grant_shows_as_failing_after_a_check(owner_client, tenant, economic_agreement, sandbox_urls):
    services.economic_connect(tenant=tenant, grant_token=economic_agreement.grant_token)
    economic_agreement.revoke()

    owner_client.post(reverse("connections_check", args=[tenant.slug]))

    connection = _economic(tenant)
    assert connection.status == ConnectionStatus.FAILING
    assert "did not accept the access grant" in connection.last_error
    assert connection.grant_token == economic_agreement.grant_token  # kept: the merchant may re-grant
    dashboard = owner_client.get(reverse("dashboard", args=[tenant.slug])).content.decode()
    assert 'data-testid="panel-economic-status">Failing' in dashboard
    assert "did not accept the access grant" in dashboard


def test_dashboard_panel_shows_each_status(owner_client, tenant, stripe_account, sandbox_urls):
    services.stripe_connect(tenant=tenant, api_key=stripe_account.api_key)
    dashboard = owner_client.get(reverse("dashboard", args=[tenant.slug])).content.decode()
    assert 'data-testid="panel-stripe-status">Connected' in dashboard
    assert 'data-testid="panel-economic-status">Not connected' in dashboard
    assert "test mode" in dashboard


def test_secrets_are_never_logged_nor_rendered(
    caplog, owner_client, tenant, economic_agreement, stripe_account, sandbox_urls
):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="stripe")
    callback = _start_grant(owner_client, tenant)
    owner_client.get(callback, {"token": economic_agreement.grant_token})
    owner_client.post(reverse("connections", args=[tenant.slug]), {"api_key": stripe_account.api_key})
    owner_client.post(reverse("connections_check", args=[tenant.slug]))
    webhook_secret = _stripe(tenant).webhook_secret
    assert _economic(tenant).status == _stripe(tenant).status == ConnectionStatus.CONNECTED

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


# --- tenant_connect ----------------------------------------------------------------------------


def test_tenant_connect_connects_both_and_prints_one_json_line(
    tenant, economic_agreement, stripe_account, sandbox_urls
):
    out = StringIO()
    call_command(
        "tenant_connect",
        tenant.slug,
        "--economic-grant-token",
        economic_agreement.grant_token,
        "--stripe-api-key",
        stripe_account.api_key,
        stdout=out,
    )
    [line] = out.getvalue().splitlines()
    printed = json.loads(line)
    assert printed["economic"] == {
        "status": "connected",
        "agreement_number": economic_agreement.agreement_number,
        "company_name": "Testfirma ApS",
    }
    assert printed["stripe"]["status"] == "connected"
    assert printed["stripe"]["livemode"] is False
    assert printed["stripe"]["webhook_endpoint_id"] == _endpoints(stripe_account)[0].stripe_id
    for secret in (economic_agreement.grant_token, stripe_account.api_key, _stripe(tenant).webhook_secret):
        assert secret not in line


def test_tenant_connect_with_a_refused_key_names_it_and_stores_nothing(
    tenant, economic_agreement, stripe_account, sandbox_urls
):
    with pytest.raises(CommandError) as failed:
        call_command(
            "tenant_connect",
            tenant.slug,
            "--economic-grant-token",
            economic_agreement.grant_token,
            "--stripe-api-key",
            "sk_test_" + "7" * 24,
        )
    assert failed.value.returncode == 2
    assert "--stripe-api-key was refused" in str(failed.value)
    assert _economic(tenant) is None and _stripe(tenant) is None  # all or nothing


def test_tenant_connect_exits_2_on_a_refused_grant(
    tenant, economic_agreement, sandbox_urls, _celery_worker_env
):
    """The real process: exit code and message on stderr, as an operator's script sees them."""
    env = {
        **_celery_worker_env,
        **sandbox_urls,
        "ECONOMIC_APP_SECRET_TOKEN": DEFAULT_APP_SECRET,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "tenant_connect", tenant.slug, "--economic-grant-token", "made-up"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--economic-grant-token was refused" in result.stderr
    assert result.stdout == ""
    assert _economic(tenant) is None


def test_tenant_connect_for_an_unknown_slug_exits_2(db):
    with pytest.raises(CommandError) as failed:
        call_command("tenant_connect", "nobody-here")
    assert failed.value.returncode == 2


# --- sandbox_seed and demo_setup ---------------------------------------------------------------


def test_sandbox_seed_makes_fifty_customers_each_with_twenty_shared_emails(db):
    out = StringIO()
    call_command("sandbox_seed", "--customers", "50", "--json", stdout=out)
    seeded = json.loads(out.getvalue())

    agreement = Agreement.objects.get(agreement_number=seeded["economic"]["agreement_number"])
    economic_emails = {c.data["email"] for c in EconomicCustomer.objects.filter(agreement=agreement)}
    stripe_customers = StripeCustomer.objects.filter(
        account=ApiKey.objects.get(key=seeded["stripe"]["api_key"]).account
    )
    stripe_emails = {c.email for c in stripe_customers}
    assert len(economic_emails) == 50 and stripe_customers.count() == 50
    assert len(economic_emails & stripe_emails) == 20 == seeded["shared_emails"]


def test_demo_setup_connects_the_demo_tenant_to_working_sandboxes_once(sandbox_urls, economic_app_settings):
    call_command("demo_setup", stdout=StringIO())
    call_command("demo_setup", stdout=StringIO())

    tenant = Tenant.objects.get(slug="demo")
    assert Agreement.objects.filter(read_only=False).count() == 1  # the re-run seeded nothing more
    stripe = _stripe(tenant)
    endpoint = WebhookEndpoint.objects.get(stripe_id=stripe.webhook_endpoint_stripe_id)
    assert endpoint.url == f"{sandbox_urls['SITE_URL']}{tenant.webhook_path}"
    assert stripe.webhook_secret == endpoint.secret
    # The stored values really open the sandboxes over HTTP.
    assert economic_client_for(tenant).self_info()["agreementNumber"] == _economic(tenant).agreement_number
    gateway = stripe_client_for(tenant)
    assert gateway.verify()["customers_visible"] is True
    gateway.close()
    # Its defaults are set from the seeded lists, so the demo can create customers at once.
    assert sync_settings_for(tenant=tenant).defaults_complete


def test_demo_tenant_shows_both_services_connected(client, sandbox_urls, economic_app_settings):
    call_command("demo_setup", stdout=StringIO())
    tenant = Tenant.objects.get(slug="demo")
    client.force_login(MembershipFactory(tenant=tenant, role="admin").user)
    page = client.get(reverse("connections", args=[tenant.slug])).content.decode()
    assert page.count(">Connected<") == 2
