"""`make run`'s offline demo: `sandbox_seed` and `demo_setup` (the sandbox side, storing through the
connections package)."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from mappings.selectors import sync_settings_for
from sandbox.economic_api.models import Agreement
from sandbox.economic_api.models import Customer as EconomicCustomer
from sandbox.stripe_api.models import ApiKey, WebhookEndpoint
from sandbox.stripe_api.models import Customer as StripeCustomer
from syncapp.connections.clients import economic_client_for, stripe_client_for
from syncapp.models import Tenant
from tests.connections.helpers import economic_connection, stripe_connection
from tests.factories import MembershipFactory
from tests.fixtures_stripe import first_account

pytestmark = pytest.mark.django_db(transaction=True)


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
    stripe = stripe_connection(tenant)
    endpoint = WebhookEndpoint.objects.get(stripe_id=stripe.webhook_endpoint_stripe_id)
    assert endpoint.url == f"{sandbox_urls['SITE_URL']}{first_account(tenant).webhook_path}"
    assert stripe.webhook_secret == endpoint.secret
    # The stored values really open the sandboxes over HTTP.
    assert (
        economic_client_for(tenant).self_info()["agreementNumber"]
        == economic_connection(tenant).agreement_number
    )
    gateway = stripe_client_for(first_account(tenant))
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
