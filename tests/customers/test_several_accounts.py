"""Several Stripe accounts booking into one e-conomic agreement: each with its own name, key,
webhook URL and signing secret; rows carry their account; settings may differ per account; the
log, the review queue and the import choose by account; the commands take the account's name."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from customers.models import CustomerLink, ImportRun, StripeEvent, SyncRecord
from customers.services import customer_sync, event_process
from mappings.document import parse, validate_document
from sandbox.stripe_api import control, services
from sandbox.stripe_api.seed import seed_account
from syncapp.models import StripeConnection
from tests.customers.webhook_helpers import as_body, customer_event, stripe_signature
from tests.factories import settings_document
from tests.fixtures_merchant import configure
from tests.fixtures_stripe import connect_stripe, first_account

SE_KEY_SECRET = "whsec_se_shop_signing_secret_0123"


@pytest.fixture
def two_shops(merchant):
    """The merchant's first account ("Main", the DK shop) and a second one, "SE shop"."""
    se = connect_stripe(merchant.tenant, seed_account(), name="SE shop", webhook_secret=SE_KEY_SECRET)
    return merchant, first_account(merchant.tenant), se


def _retrieve(account: StripeConnection, customer_id: str) -> dict:
    return services.customer_retrieve(control.caller_for_key(account.api_key), customer_id, {})


def _post(client, account: StripeConnection, event: dict, secret: str):
    body = as_body(event)
    return client.post(
        account.webhook_path,
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_signature(body, secret),
    )


def test_each_account_has_its_own_webhook_url_and_secret_and_its_events_carry_it(client, two_shops):
    merchant, main, se = two_shops
    assert main.webhook_path != se.webhook_path
    customer = control.customer_create(se.api_key, email="sven@shop.se", name="Sven")
    event = customer_event(customer["id"], event_id="evt_se_1", type="customer.created")
    # Signed with the DK shop's secret at the SE shop's URL: refused.
    assert _post(client, se, event, main.webhook_secret).status_code == 400
    assert _post(client, se, event, SE_KEY_SECRET).status_code == 200
    stored = StripeEvent.objects.for_tenant(merchant.tenant).get(stripe_event_id="evt_se_1")
    assert stored.stripe_account == se

    record = event_process(event_id=stored.pk, token=stored.leased_by)

    assert record.action == SyncRecord.Action.CREATED and record.stripe_account == se
    assert (
        CustomerLink.objects.for_tenant(merchant.tenant).get(stripe_customer_id=customer["id"]).stripe_account
        == se
    )
    # The number went back to the customer in the SE shop's Stripe account, with its key.
    assert _retrieve(se, customer["id"])["metadata"]["economic_customer_number"] == str(
        record.economic_customer_number
    )


def test_an_account_may_give_its_new_customers_other_defaults(two_shops):
    merchant, main, se = two_shops
    document = settings_document()
    document["accounts"] = {
        "SE shop": {
            "defaults": {"currency": "SEK", "vat_zone_number": 2},
            "customer_number": {"store_in_stripe_field": "metadata.kundnummer"},
        }
    }
    configure(merchant.tenant, accounts=document["accounts"])
    dk = merchant.stripe.create_customer(email="dorte@shop.dk", name="Dorte")
    sv = control.customer_create(se.api_key, email="sven@shop.se", name="Sven")

    customer_sync(tenant=merchant.tenant, stripe_customer_id=dk["id"], stripe_account=main)
    created = customer_sync(tenant=merchant.tenant, stripe_customer_id=sv["id"], stripe_account=se)

    by_email = {c["email"]: c for c in merchant.economic.customers()}
    assert by_email["dorte@shop.dk"]["currency"] == "DKK"
    assert (by_email["sven@shop.se"]["currency"], by_email["sven@shop.se"]["vatZone"]["vatZoneNumber"]) == (
        "SEK",
        2,
    )
    sven = _retrieve(se, sv["id"])
    assert sven["metadata"] == {"kundnummer": str(created.economic_customer_number)}


def test_account_overrides_are_validated_like_the_rest_of_the_document():
    document = settings_document()
    document["accounts"] = {
        "SE shop": {
            "defaults": {"currency": "sek", "customer_group_number": 2},
            "customer_number": {"mode": "x"},
        },
        "": {},
    }
    problems = validate_document(document)
    assert (
        "accounts.SE shop.defaults.currency: “sek” is not a three-letter ISO currency code like DKK."
        in problems
    )
    assert any(p.startswith("accounts.SE shop.defaults.customer_group_number: unknown key") for p in problems)
    assert any(p.startswith("accounts.SE shop.customer_number.mode: unknown key") for p in problems)
    assert "accounts.: an account name of 1 to 60 characters." in problems
    lists = {
        "currencies": [{"value": "DKK"}],
        "vat_zones": [{"value": 1}],
        "payment_terms": [{"value": 1}],
        "customer_groups": [{"value": 1}],
        "layouts": [{"value": 19}],
    }
    document["accounts"] = {"SE shop": {"defaults": {"currency": "SEK", "vat_zone_number": 9}}}
    problems = validate_document(document, economic_lists=lists)
    assert "accounts.SE shop.defaults.vat_zone_number: 9 is not in your e-conomic vat zones (1)." in problems
    assert "accounts.SE shop.defaults.currency: SEK is not in your e-conomic currencies (DKK)." in problems
    assert parse(document, account="SE shop").defaults.currency == "SEK"
    assert parse(document, account="Main").defaults.currency == "DKK"


def test_a_customer_of_an_unnamed_account_of_a_merchant_with_several_is_refused_clearly(two_shops):
    merchant, _, se = two_shops
    customer = control.customer_create(se.api_key, email="who@shop.se", name="Who")
    record = customer_sync(tenant=merchant.tenant, stripe_customer_id=customer["id"])
    assert record.action == SyncRecord.Action.FAILED
    assert "several Stripe accounts (“Main”, “SE shop”)" in record.message
    assert merchant.economic.customers() == []


def test_tenant_sync_takes_the_account_by_name(two_shops):
    merchant, _, se = two_shops
    customer = control.customer_create(se.api_key, email="ulla@shop.se", name="Ulla")
    out = StringIO()
    call_command("tenant_sync", merchant.tenant.slug, "--all", "--account", "SE shop", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0]["customer"] == customer["id"] and lines[0]["action"] == "created"
    assert lines[-1] == {"summary": {"created": 1}}
    assert ImportRun.objects.for_tenant(merchant.tenant).get().stripe_account == se


def test_tenant_sync_all_without_an_account_of_a_merchant_with_several_exits_2(two_shops):
    merchant, _, _ = two_shops
    with pytest.raises(CommandError) as refused:
        call_command("tenant_sync", merchant.tenant.slug, "--all")
    assert refused.value.returncode == 2
    assert "Choose which Stripe account to import: “Main”, “SE shop”." in str(refused.value)
    with pytest.raises(CommandError) as unknown:
        call_command("tenant_sync", merchant.tenant.slug, "--all", "--account", "NO shop")
    assert unknown.value.returncode == 2 and "no Stripe account named 'NO shop'" in str(unknown.value)


def test_tenant_connect_adds_a_named_account_and_prints_its_webhook_path(merchant):
    out = StringIO()
    key = seed_account()
    call_command(
        "tenant_connect",
        merchant.tenant.slug,
        "--stripe-account-name",
        "SE shop",
        "--stripe-api-key",
        key,
        stdout=out,
    )
    printed = json.loads(out.getvalue())
    se = StripeConnection.objects.for_tenant(merchant.tenant).get(name="SE shop")
    assert printed["stripe_account_name"] == "SE shop" and printed["webhook_path"] == se.webhook_path
    assert [a["name"] for a in printed["stripe_accounts"]] == ["Main", "SE shop"]
    assert se.api_key == key and se.webhook_secret.startswith("whsec_")


def test_the_sync_log_and_the_review_queue_filter_by_account(owner_client, two_shops):
    merchant, main, se = two_shops
    tenant = merchant.tenant
    for account, customer_id in ((main, "cus_dk_only"), (se, "cus_se_only")):
        SyncRecord.objects.for_tenant(tenant).create(
            stripe_account=account, stripe_customer_id=customer_id, action="failed", message="x"
        )
    log = reverse("sync_log", args=[tenant.slug])
    everything = owner_client.get(log).content.decode()
    assert "cus_dk_only" in everything and "cus_se_only" in everything
    assert "All Stripe accounts" in everything
    only_se = owner_client.get(log, {"account": se.pk}).content.decode()
    assert "cus_se_only" in only_se and "cus_dk_only" not in only_se
    # Another tenant's account id is no filter at all: everything of one's own, nothing of theirs.
    assert "cus_dk_only" in owner_client.get(log, {"account": "999999"}).content.decode()


def test_owner_adds_a_second_account_on_the_connections_page(owner_client, merchant):
    tenant = merchant.tenant
    key = seed_account()
    response = owner_client.post(
        reverse("connections", args=[tenant.slug]), {"name": "SE shop", "api_key": key, "webhook_secret": ""}
    )
    assert response.status_code == 302
    se = StripeConnection.objects.for_tenant(tenant).get(name="SE shop")
    assert se.status == "connected" and se.webhook_endpoint_stripe_id
    page = owner_client.get(reverse("connections", args=[tenant.slug])).content.decode()
    assert "Stripe account “SE shop” is connected (test mode)." in page
    again = owner_client.post(reverse("connections", args=[tenant.slug]), {"name": "SE shop", "api_key": key})
    assert "You already have an account named “SE shop”" in again.content.decode()
