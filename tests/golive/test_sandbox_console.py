"""The sandbox for people trying things: an agreement named after the merchant, Danish spelt right,
every Stripe customer reachable in the console, e-conomic customers to make an ambiguous match
with, the test-account offer gone once connected, and `make run PORT=`."""

import re
import subprocess

import pytest
from django.urls import reverse

from customers.models import ReviewItem
from customers.services import customer_sync
from sandbox.economic_api.models import Agreement, PaymentTerm
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db


@pytest.fixture
def sandbox_tenant(owner_client, tenant, economic_app_settings):
    assert owner_client.post(reverse("sandbox_account", args=[tenant.slug])).status_code == 302
    return tenant


def test_the_sandbox_agreement_carries_the_merchants_name_and_danish_spelling(sandbox_tenant):
    agreement = Agreement.objects.get(company_name=sandbox_tenant.name)
    terms = set(PaymentTerm.objects.filter(agreement=agreement).values_list("name", flat=True))
    assert "Løbende måned + 30" in terms and not any("Lobende" in t for t in terms)


def test_once_connected_the_connections_page_offers_the_console_not_another_account(owner_client, tenant):
    before = owner_client.get(reverse("connections", args=[tenant.slug])).content.decode()
    assert "Use a sandbox test account" in before
    owner_client.post(reverse("sandbox_account", args=[tenant.slug]))
    after = owner_client.get(reverse("connections", args=[tenant.slug])).content.decode()
    assert "Use a sandbox test account" not in after
    assert 'data-testid="sandbox-console-link"' in after


def test_the_console_makes_e_conomic_customers_too(owner_client, sandbox_tenant):
    agreement = Agreement.objects.get(company_name=sandbox_tenant.name)
    url = reverse("sandbox_economic_customer_create", args=[sandbox_tenant.slug])
    response = owner_client.post(
        url, {"economic-name": "Havblik A/S", "economic-email": "faktura@havblik.dk"}
    )
    assert response.status_code == 302
    made = agreement.customers.get(data__name="Havblik A/S")
    assert made.data["email"] == "faktura@havblik.dk" and made.data["currency"] == "DKK"
    console = owner_client.get(reverse("sandbox_console", args=[sandbox_tenant.slug])).content.decode()
    assert "Havblik A/S" in console

    nameless = owner_client.post(url, {"economic-name": "", "economic-email": "x@y.dk"}, follow=True)
    assert "Give the e-conomic customer a name" in nameless.content.decode()
    assert not agreement.customers.filter(data__email="x@y.dk").exists()


@pytest.mark.django_db(transaction=True)
def test_two_console_made_e_conomic_customers_give_an_ambiguous_match(merchant, owner_client, live_server):
    # The merchant fixture's agreement is the sandbox's own, connected as a sandbox account would be.
    agreement = merchant.economic.agreement
    url = reverse("sandbox_economic_customer_create", args=[merchant.tenant.slug])
    for name in ("Havblik A/S", "Havblik Byg A/S"):
        owner_client.post(url, {"economic-name": name, "economic-email": "faktura@havblik.dk"})
    assert agreement.customers.filter(data__email="faktura@havblik.dk").count() == 2
    customer = merchant.stripe.create_customer(email="faktura@havblik.dk", name="Havblik")
    assert customer_sync(tenant=merchant.tenant, stripe_customer_id=customer["id"]).action == "needs_review"
    assert ReviewItem.objects.for_tenant(merchant.tenant).get().candidates == sorted(
        agreement.customers.filter(data__email="faktura@havblik.dk").values_list("number", flat=True)
    )


def test_another_tenants_agreement_is_out_of_reach(owner_client, tenant):
    url = reverse("sandbox_economic_customer_create", args=[tenant.slug])
    assert owner_client.post(url, {"economic-name": "X"}).status_code == 404  # no sandbox agreement


def test_make_run_serves_on_the_port_given_and_every_address_follows_it():
    commands = subprocess.run(
        ["make", "-n", "--no-print-directory", "run", "PORT=8123"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert "manage.py runserver 127.0.0.1:8123" in commands
    addresses = set(re.findall(r"http://127\.0\.0\.1:(\d+)", commands))
    assert addresses == {"8123"}, addresses
