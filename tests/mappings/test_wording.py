"""Words where people expect words: the labels of the tabs in messages and on the dashboard, a
payload as labelled rows with the names of e-conomic's list entries, a history without bare
numbers or no-change rows, and an import error that names what is missing."""

import pytest
from django.urls import reverse

from mappings.diff import document_diff
from mappings.document import default_document, validate_document
from mappings.wording import payload_rows
from tests.factories import settings_document
from tests.fixtures_merchant import configure

LISTS = {
    "payment_terms": [{"value": 3, "label": "3 · Netto 30 dage"}],
    "customer_groups": [{"value": 1, "label": "1 · Domestic customers"}],
    "vat_zones": [{"value": 1, "label": "1 · Domestic"}, {"value": 2, "label": "2 · EU"}],
    "currencies": [{"value": "DKK", "label": "DKK · Danske kroner"}],
    "layouts": [{"value": 19, "label": "19 · Standard faktura"}],
}


def test_a_payload_reads_as_labelled_rows_with_the_lists_names():
    payload = {
        "name": "Nordlys ApS",
        "corporateIdentificationNumber": "12345678",
        "currency": "DKK",
        "paymentTerms": {"paymentTermsNumber": 3},
        "vatZone": {"vatZoneNumber": 2},
        "customerGroup": {"customerGroupNumber": 9},
    }
    assert payload_rows(payload, lists=LISTS) == [
        ("Name", "Nordlys ApS"),
        ("CVR number", "12345678"),
        ("Currency", "DKK · Danske kroner"),
        ("Payment terms", "3 · Netto 30 dage"),
        ("VAT zone", "2 · EU"),
        ("Customer group", "9"),  # not in the lists (any more): the number as it is
    ]
    assert ("Payment terms", "3") in payload_rows(payload, lists=None)  # e-conomic not at hand


def test_the_history_names_list_entries_and_has_no_rows_that_changed_nothing():
    before = default_document()
    before["matching"].pop("on_ambiguous", None)
    after = settings_document()
    after["matching"]["on_ambiguous"] = "review"  # the default, now written down: no change
    after["defaults"]["payment_terms_number"] = 3
    rows = document_diff(before, after, lists=LISTS)
    assert ("Default payment terms", "—", "3 · Netto 30 dage") in rows
    assert ("Default VAT zone", "—", "1 · Domestic") in rows
    assert not [row for row in rows if row[1] == row[2]]
    assert not [row for row in rows if "several e-conomic customers" in row[0]]


def test_an_import_without_a_version_says_it_is_missing_not_none():
    document = settings_document()
    del document["version"]
    problems = validate_document(document)
    assert 'version: missing (a settings export starts with "version": 2).' in problems
    assert not [p for p in problems if "None" in p]


@pytest.mark.django_db
def test_the_dashboard_names_match_rules_in_the_tabs_words(owner_client, tenant):
    configure(
        tenant,
        matching={
            "rules": [{"stripe_field": "tax_ids.0.value", "economic_field": "corporateIdentificationNumber"}]
        },
    )
    html = owner_client.get(reverse("dashboard", args=[tenant.slug])).content.decode()
    assert "first tax id (e.g. VAT number) ↔ CVR number" in html
    assert "tax_ids.0.value" not in html and "corporateIdentificationNumber" not in html
