"""Services against the e-conomic and Stripe emulators, over real HTTP."""

import pytest
from django.urls import reverse

from mappings.document import default_document
from mappings.models import SettingsChange
from mappings.selectors import settings_document_for
from mappings.services import (
    EconomicListsUnavailable,
    PreviewFailed,
    SettingsInvalid,
    economic_lists_for,
    recent_stripe_customers,
    settings_import,
    settings_preview,
    settings_save,
)
from mappings.vocabulary import MatchOutcome
from tests.factories import MembershipFactory, settings_document
from tests.fixtures_stripe import connect_stripe


@pytest.fixture
def connected(transactional_db, sandbox_urls, economic_connected_tenant, stripe_account):
    """A tenant connected to both emulators, which the live server answers for."""
    connect_stripe(economic_connected_tenant, stripe_account.api_key)
    return economic_connected_tenant


def test_economic_lists_come_from_the_agreement(transactional_db, sandbox_urls, economic_connected_tenant):
    lists = economic_lists_for(tenant=economic_connected_tenant)
    assert lists["payment_terms"][0] == {"value": 1, "label": "1 · Netto 8 dage"}
    assert [item["value"] for item in lists["currencies"]] == ["DKK", "EUR", "NOK", "SEK", "USD"]
    assert [item["value"] for item in lists["vat_zones"]] == [1, 2, 3, 4]
    assert [item["value"] for item in lists["layouts"]] == [19, 20, 21]
    assert lists["customer_groups"][1] == {"value": 2, "label": "2 · Foreign customers"}


def test_economic_lists_are_cached_per_tenant(
    transactional_db, sandbox_urls, economic_connected_tenant, economic_agreement
):
    economic_lists_for(tenant=economic_connected_tenant)
    mark = economic_agreement.mark()
    economic_lists_for(tenant=economic_connected_tenant)
    assert economic_agreement.requests_since(mark) == []


def test_economic_lists_unreachable_is_a_clear_error(
    transactional_db, sandbox_urls, economic_connected_tenant, economic_agreement
):
    economic_agreement.set_faults(errors=100, error_status=503)
    with pytest.raises(
        EconomicListsUnavailable, match="e-conomic could not be reached .*Your saved values are kept"
    ):
        economic_lists_for(tenant=economic_connected_tenant)


def test_economic_lists_without_a_connection_say_what_to_do(tenant):
    with pytest.raises(EconomicListsUnavailable, match="e-conomic is not connected"):
        economic_lists_for(tenant=tenant)


def test_import_checks_numbers_against_the_merchants_lists(
    transactional_db, sandbox_urls, economic_connected_tenant
):
    document = settings_document()
    document["defaults"]["payment_terms_number"] = 99
    document["defaults"]["currency"] = "GBP"
    with pytest.raises(SettingsInvalid) as raised:
        settings_import(tenant=economic_connected_tenant, user=None, document=document)
    assert raised.value.problems == [
        "defaults.payment_terms_number: 99 is not in your e-conomic payment terms (1, 2, 3, 4, 5, 6).",
        "defaults.currency: GBP is not in your e-conomic currencies (DKK, EUR, NOK, SEK, USD).",
    ]
    assert settings_document_for(tenant=economic_connected_tenant) == default_document()
    result = settings_import(tenant=economic_connected_tenant, user=None, document=settings_document())
    assert result.checked_against_economic and result.settings.defaults_complete


def test_saving_the_same_document_again_records_no_change(tenant):
    settings_save(tenant=tenant, user=None, document=settings_document(), source="defaults")
    settings_save(tenant=tenant, user=None, document=settings_document(), source="defaults")
    assert SettingsChange.objects.for_tenant(tenant).count() == 1


def test_an_invalid_save_raises_with_the_problems(tenant):
    document = default_document()
    document["version"] = 7
    with pytest.raises(SettingsInvalid) as raised:
        settings_save(tenant=tenant, user=None, document=document, source="import")
    assert raised.value.problems == ["version: must be 1 or 2 (this document says 7)."]


def test_preview_finds_the_economic_customer_the_rule_would_match(
    connected, stripe_account, economic_agreement
):
    customer = stripe_account.create_customer(email="anna@firma.dk", name="Anna")
    economic_agreement.add_customer(number=501, name="Hanna", email="hanna@firma.dk")
    economic_agreement.add_customer(number=502, name="Anna ApS", email="info@firma.dk ANNA@firma.dk")
    mark = economic_agreement.mark()
    preview = settings_preview(tenant=connected, stripe_customer_id=customer["id"])
    assert preview.match.outcome == MatchOutcome.MATCHED
    assert preview.match.found["customerNumber"] == 502
    (rule,) = preview.match.tried
    assert [c["customerNumber"] for c in rule.hits] == [502]  # the look-alike was not taken
    assert {entry.method for entry in economic_agreement.requests_since(mark)} == {"GET"}


def test_preview_shows_the_payload_it_would_create(connected, stripe_account, economic_agreement):
    settings_save(tenant=connected, user=None, document=settings_document(), source="defaults")
    customer = stripe_account.create_customer(
        email="ny@kunde.dk", name="Ny Kunde ApS", address={"country": "SE", "city": "Malmö"}
    )
    mark = economic_agreement.mark()
    preview = settings_preview(tenant=connected, stripe_customer_id=customer["id"])
    assert preview.match.outcome == MatchOutcome.NOT_FOUND
    assert preview.plan.create_payload["country"] == "Sweden"
    assert preview.plan.create_payload["name"] == "Ny Kunde ApS"
    assert economic_agreement.customers() == []
    assert [e.method for e in economic_agreement.requests_since(mark)] == ["GET"]


def test_preview_of_a_customer_without_match_value_explains_the_failure(connected, stripe_account):
    customer = stripe_account.create_customer(name="Uden Email")
    preview = settings_preview(tenant=connected, stripe_customer_id=customer["id"])
    assert preview.match.outcome == MatchOutcome.BLOCKED
    assert preview.plan.blocking_error.startswith(f"Stripe customer {customer['id']} has no email")


def test_preview_of_an_unknown_customer_says_so(connected):
    with pytest.raises(PreviewFailed, match="Stripe has no customer “cus_nope”"):
        settings_preview(tenant=connected, stripe_customer_id="cus_nope")


def test_preview_offers_the_newest_stripe_customers_to_pick(connected, stripe_account, client):
    stripe_account.create_customer(email="old@firma.dk", name="Old ApS")
    newest = stripe_account.create_customer(email="new@firma.dk", name="New ApS")
    client.force_login(MembershipFactory(tenant=connected, role="viewer").user)
    page = client.get(reverse("mappings:preview", args=[connected.slug])).content.decode()
    assert f'href="?customer={newest["id"]}"' in page
    assert page.index("New ApS") < page.index("Old ApS")


def test_preview_without_stripe_connection_offers_no_customers(tenant):
    assert recent_stripe_customers(tenant=tenant) == []
