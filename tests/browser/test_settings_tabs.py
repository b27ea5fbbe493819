"""A merchant walks the customer sync settings in a real browser (Debian's chromium)."""

import json

import pytest
from playwright.sync_api import expect

from mappings.document import default_document
from mappings.selectors import settings_document_for
from mappings.services import settings_save
from tests.conftest import ROOT
from tests.factories import MembershipFactory
from tests.fixtures_stripe import connect_stripe

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "test-artifacts"


def shot(page, name: str) -> None:
    page.screenshot(path=f"{ARTIFACTS}/mappings-{name}.png", full_page=True)


@pytest.fixture
def merchant(login_page, live_server, tenant):
    """An owner logged in, on the settings; returns the page and the settings URL."""
    page = login_page(MembershipFactory(tenant=tenant, role="owner").user)
    base = f"{live_server.url}/t/{tenant.slug}/settings/"
    return page, base


def test_merchant_adds_a_metadata_rule_moves_it_first_and_saves(merchant, tenant):
    page, base = merchant
    page.goto(f"{live_server_dashboard(base)}")
    page.get_by_role("link", name="Customer sync settings").click()
    expect(page.get_by_role("heading", name="How do you want to match your customers?")).to_be_visible()

    page.get_by_role("button", name="Add a rule").click()
    expect(page.get_by_text("Changes not saved yet")).to_be_visible()
    second = page.get_by_test_id("rule").nth(1)
    second.get_by_label("Stripe field").select_option(label="Metadata key (type it)")
    second.get_by_label("Metadata key").fill("cvr")
    second.get_by_label("e-conomic field").select_option(label="CVR number")
    page.get_by_role("button", name="Move rule 2 up").click()
    page.get_by_label("Try the next rule (fail only if no rule has a value)").check()
    shot(page, "1-matching-editing")
    page.get_by_role("button", name="Save match settings").click()

    expect(page.get_by_text("Customer match settings saved.")).to_be_visible()
    first = page.get_by_test_id("rule").nth(0)
    expect(first.get_by_label("Metadata key")).to_have_value("cvr")
    assert settings_document_for(tenant=tenant)["matching"] == {
        "rules": [
            {"stripe_field": "metadata.cvr", "economic_field": "corporateIdentificationNumber"},
            {"stripe_field": "email", "economic_field": "email"},
        ],
        "on_empty_value": "next_rule",
        "on_ambiguous": "review",
    }
    shot(page, "1-matching-saved")


def live_server_dashboard(settings_url: str) -> str:
    return settings_url.removesuffix("settings/")


def test_merchant_takes_numbers_from_stripe_metadata(merchant, tenant):
    page, base = merchant
    page.goto(f"{base}number/")
    expect(page.get_by_label("Metadata key for the generated number")).to_be_visible()
    page.get_by_label("Use the number from a Stripe field").check()
    expect(page.get_by_label("Metadata key for the generated number")).to_be_hidden()
    page.get_by_label("Stripe field holding the number").select_option(label="Metadata key (type it)")
    page.get_by_label("Metadata key holding the number").fill("customer_number")
    shot(page, "2-number")
    page.get_by_role("button", name="Save number handling").click()
    expect(page.get_by_text("Customer number handling saved.")).to_be_visible()
    assert settings_document_for(tenant=tenant)["customer_number"] == {
        "mode": "stripe",
        "stripe_field": "metadata.customer_number",
        "store_in_stripe_field": None,
    }


def test_merchant_edits_a_mapping_row_and_saves_mappings(merchant, tenant):
    page, base = merchant
    page.goto(f"{base}fields/")
    row = page.get_by_test_id("mapping-row-mobilePhone")
    expect(row).to_contain_text("Not mapped")
    expect(row.get_by_label("Stripe field for Mobile phone")).to_be_hidden()
    row.get_by_role("button", name="Edit Mobile phone").click()
    row.get_by_label("Stripe field for Mobile phone").select_option(label="Phone")
    row.get_by_label("Updates of Mobile phone").select_option(label="Set on create only")
    row.get_by_role("button", name="Done with Mobile phone").click()
    expect(row).to_contain_text("Phone")
    expect(row).to_contain_text("Set on create only")
    expect(row).to_have_class("mapping-row changed")
    expect(page.get_by_text("Changes not saved yet.")).to_be_visible()
    shot(page, "4-field-mappings-edited")
    page.get_by_role("button", name="Save Mappings").click()

    expect(page.get_by_text("Customer field mappings saved.")).to_be_visible()
    mappings = {m["economic_field"]: m for m in settings_document_for(tenant=tenant)["field_mappings"]}
    assert mappings["mobilePhone"] == {
        "economic_field": "mobilePhone",
        "stripe_field": "phone",
        "keep_updated": False,
        "direction": "stripe_to_economic",
    }
    assert mappings["name"]["stripe_field"] == "name"


def test_merchant_sets_directions_and_the_conflict_rule_and_is_told_why_one_is_not_offered(merchant, tenant):
    page, base = merchant
    page.goto(f"{base}fields/")
    address = page.get_by_test_id("mapping-row-address")
    # Built from two Stripe lines: it cannot be split back, and the row says so.
    expect(page.get_by_test_id("not-offered-address")).to_contain_text("cannot be split back")
    phone = page.get_by_test_id("mapping-row-telephoneAndFaxNumber")
    phone.get_by_role("button", name="Edit Phone").click()
    phone.get_by_label("Direction of Phone").select_option(label="Both ways")
    phone.get_by_role("button", name="Done with Phone").click()
    expect(phone).to_contain_text("Both ways")
    address.get_by_role("button", name="Edit Address").click()
    address.get_by_label("Stripe field for Address").select_option(label="Billing address, line 1")
    address.get_by_label("Direction of Address").select_option(label="e-conomic → Stripe")
    address.get_by_role("button", name="Done with Address").click()
    page.get_by_label("When both sides changed a field set to both ways").select_option(
        label="e-conomic wins"
    )
    page.get_by_label("Read e-conomic for changes every (minutes)").fill("3")
    shot(page, "4b-field-directions-edited")
    page.get_by_role("button", name="Save Mappings").click()

    expect(page.get_by_text("Customer field mappings saved.")).to_be_visible()
    document = settings_document_for(tenant=tenant)
    mappings = {m["economic_field"]: m for m in document["field_mappings"]}
    assert mappings["telephoneAndFaxNumber"]["direction"] == "both"
    assert mappings["address"] == {
        "economic_field": "address",
        "stripe_field": "address.line1",
        "keep_updated": True,
        "direction": "economic_to_stripe",
    }
    assert document["sync"]["conflict_rule"] == "economic_wins"
    assert document["sync"]["economic_read_minutes"] == 3
    expect(page.get_by_test_id("direction-address")).to_contain_text("e-conomic → Stripe")
    expect(page.get_by_test_id("not-offered-address")).to_have_count(0)
    shot(page, "4c-field-directions-saved")


def test_a_direction_a_mapping_cannot_take_is_refused_with_the_reason(merchant, tenant):
    page, base = merchant
    page.goto(f"{base}fields/")
    address = page.get_by_test_id("mapping-row-address")
    address.get_by_role("button", name="Edit Address").click()
    address.get_by_label("Direction of Address").select_option(label="Both ways")
    page.get_by_role("button", name="Save Mappings").click()
    expect(address.get_by_role("alert")).to_contain_text("cannot be split back into them")
    assert settings_document_for(tenant=tenant) == default_document()


def test_cancel_discards_edited_mapping_rows(merchant, tenant):
    page, base = merchant
    page.goto(f"{base}fields/")
    row = page.get_by_test_id("mapping-row-city")
    row.get_by_role("button", name="Edit City").click()
    row.get_by_label("Stripe field for City").select_option(label="Not mapped")
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_test_id("mapping-row-city")).to_contain_text("Billing address, city")
    assert settings_document_for(tenant=tenant) == default_document()


def test_merchant_picks_defaults_from_the_economic_lists(
    login_page, live_server, sandbox_urls, economic_connected_tenant
):
    tenant = economic_connected_tenant
    page = login_page(MembershipFactory(tenant=tenant, role="owner").user)
    page.goto(f"{live_server.url}/t/{tenant.slug}/")
    expect(
        page.get_by_text("Set your customer defaults before the first sync can create customers")
    ).to_be_visible()
    page.get_by_role("link", name="Set customer defaults").click()

    page.get_by_label("Payment terms").select_option(label="3 · Netto 30 dage")
    page.get_by_label("Customer group").select_option(label="1 · Domestic customers")
    page.get_by_label("Currency").select_option(label="DKK · Danske kroner")
    page.get_by_label("VAT zone", exact=True).select_option(label="1 · Domestic")
    page.get_by_label("Invoice layout").select_option(label="19 · Standard faktura")
    page.get_by_label("Choose the VAT zone from the customer's country").check()
    page.get_by_label("Your home country").select_option(label="Denmark")
    page.get_by_label("Zone for customers in the home country").select_option(label="1 · Domestic")
    page.get_by_label("Zone for EU customers").select_option(label="2 · EU")
    page.get_by_label("Zone for customers outside the EU").select_option(label="3 · Abroad")
    shot(page, "3-defaults")
    page.get_by_role("button", name="Save defaults").click()

    expect(page.get_by_text("Customer default mappings saved.")).to_be_visible()
    defaults = settings_document_for(tenant=tenant)["defaults"]
    assert defaults["payment_terms_number"] == 3 and defaults["layout_number"] == 19
    assert defaults["vat_zone_by_country"] == {"home_country": "DK", "domestic": 1, "eu": 2, "abroad": 3}
    page.goto(f"{live_server.url}/t/{tenant.slug}/")
    expect(page.get_by_test_id("settings-panel")).not_to_contain_text("Set your customer defaults")


def test_defaults_tab_without_economic_keeps_the_saved_values(merchant, tenant):
    page, base = merchant
    document = default_document()
    document["defaults"].update(payment_terms_number=3, currency="EUR")
    settings_save(tenant=tenant, user=None, document=document, source="import")
    page.goto(f"{base}defaults/")
    expect(page.get_by_text("e-conomic is not connected")).to_be_visible()
    expect(page.get_by_test_id("defaults-unavailable")).to_contain_text("EUR")
    shot(page, "3-defaults-unavailable")


def test_merchant_previews_a_customer_the_sync_would_create(
    login_page, live_server, sandbox_urls, economic_connected_tenant, stripe_account, economic_agreement
):
    tenant = economic_connected_tenant
    connect_stripe(tenant, stripe_account.api_key)
    document = default_document()
    document["defaults"].update(
        payment_terms_number=1, customer_group_number=1, vat_zone_number=1, currency="DKK"
    )
    settings_save(tenant=tenant, user=None, document=document, source="defaults")
    customer = stripe_account.create_customer(
        email="bogholderi@nordlys-design.dk",
        name="Nordlys Design ApS",
        address={
            "line1": "Vestergade 12",
            "line2": "2. th",
            "city": "Aarhus C",
            "postal_code": "8000",
            "country": "DK",
        },
    )
    economic_agreement.add_customer(number=7, name="Nordlys (old)", email="nordlys@example.dk")

    page = login_page(MembershipFactory(tenant=tenant, role="viewer").user)
    page.goto(f"{live_server.url}/t/{tenant.slug}/settings/preview/")
    page.get_by_label("Stripe customer id").fill(customer["id"])
    page.get_by_role("button", name="Preview").click()

    expect(page.get_by_test_id("preview-outcome")).to_have_text(
        "No e-conomic customer matches: would create this customer."
    )
    payload = page.get_by_test_id("preview-payload")
    expect(payload).to_contain_text('"address": "Vestergade 12, 2. th"')
    expect(payload).to_contain_text('"country": "Denmark"')
    shot(page, "5-preview-create")
    assert [c["customerNumber"] for c in economic_agreement.customers()] == [7]


def test_the_preview_shows_both_directions_for_a_matched_customer(
    login_page, live_server, sandbox_urls, economic_connected_tenant, stripe_account, economic_agreement
):
    tenant = economic_connected_tenant
    connect_stripe(tenant, stripe_account.api_key)
    document = default_document()
    for mapping in document["field_mappings"]:
        if mapping["economic_field"] == "telephoneAndFaxNumber":
            mapping["direction"] = "economic_to_stripe"
        if mapping["economic_field"] == "city":
            mapping["direction"] = "both"
    settings_save(tenant=tenant, user=None, document=document, source="field_mappings")
    customer = stripe_account.create_customer(
        email="anna@firma.dk", name="Firma ApS", phone="11111111", address={"city": "Aarhus C"}
    )
    economic_agreement.add_customer(
        number=7, name="Firma ApS", email="anna@firma.dk", telephoneAndFaxNumber="22222222", city="Aarhus C"
    )

    page = login_page(MembershipFactory(tenant=tenant, role="viewer").user)
    page.goto(f"{live_server.url}/t/{tenant.slug}/settings/preview/?customer={customer['id']}")

    phone = page.get_by_test_id("preview-direction-telephoneAndFaxNumber")
    expect(phone).to_contain_text("11111111")
    expect(phone).to_contain_text("22222222")
    expect(phone).to_contain_text("e-conomic → Stripe")
    expect(phone).to_contain_text("differs")
    city = page.get_by_test_id("preview-direction-city")
    expect(city).to_contain_text("Both ways")
    expect(city).not_to_contain_text("differs")
    expect(page.get_by_test_id("preview-direction-name")).to_contain_text("Stripe → e-conomic")
    shot(page, "5b-preview-both-directions")


def test_merchant_exports_then_imports_the_settings(merchant, tenant, tmp_path):
    page, base = merchant
    document = default_document()
    document["matching"]["on_empty_value"] = "next_rule"
    settings_save(tenant=tenant, user=None, document=document, source="matching")

    page.goto(f"{base}transfer/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download settings (JSON)").click()
    exported = tmp_path / "settings.json"
    download.value.save_as(exported)
    assert json.loads(exported.read_text()) == document

    settings_save(tenant=tenant, user=None, document=default_document(), source="matching")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**document, "version": 3, "extra": True}))
    page.get_by_label("Settings file (JSON, as exported)").set_input_files(bad)
    page.get_by_role("button", name="Import settings").click()
    problems = page.get_by_test_id("problems")
    expect(problems).to_contain_text("extra: unknown key")
    expect(problems).to_contain_text("version: must be 1 or 2 (this document says 3).")
    shot(page, "6-import-problems")
    assert settings_document_for(tenant=tenant) == default_document()

    page.get_by_label("Settings file (JSON, as exported)").set_input_files(exported)
    page.get_by_role("button", name="Import settings").click()
    expect(page.get_by_text("Settings imported.")).to_be_visible()
    assert settings_document_for(tenant=tenant) == document

    page.get_by_role("link", name="History").click()
    expect(page.get_by_test_id("history")).to_contain_text("Import")
    shot(page, "7-history")


def test_a_viewer_sees_the_tabs_read_only(login_page, live_server, tenant):
    page = login_page(MembershipFactory(tenant=tenant, role="viewer").user)
    page.goto(f"{live_server.url}/t/{tenant.slug}/settings/")
    expect(page.get_by_test_id("read-only")).to_be_visible()
    expect(page.get_by_role("button", name="Save match settings")).to_be_disabled()
    page.goto(f"{live_server.url}/t/{tenant.slug}/settings/fields/")
    expect(page.get_by_role("button", name="Save Mappings")).to_be_disabled()
    shot(page, "8-viewer-field-mappings")
