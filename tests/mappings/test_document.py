"""The settings document: defaults, validation that names every problem, parsing."""

import copy

import pytest

from mappings.catalog import ECONOMIC_FIELDS, FILTERABLE_ECONOMIC_FIELDS
from mappings.document import default_document, parse, validate_document

LISTS = {
    "payment_terms": [{"value": 1, "label": "Net 8 days"}, {"value": 2, "label": "Net 30 days"}],
    "customer_groups": [{"value": 1, "label": "Domestic customers"}],
    "vat_zones": [
        {"value": 1, "label": "Domestic"},
        {"value": 2, "label": "EU"},
        {"value": 3, "label": "Abroad"},
    ],
    "currencies": [{"value": "DKK", "label": "Danish krone"}, {"value": "EUR", "label": "Euro"}],
    "layouts": [{"value": 19, "label": "Standard"}],
}


def test_default_document_is_valid_and_parses_to_the_documented_defaults():
    doc = default_document()
    assert validate_document(doc) == []
    settings = parse(doc)
    assert [(r.stripe_field, r.economic_field) for r in settings.match_rules] == [("email", "email")]
    assert settings.on_empty_value == "fail"
    assert settings.number_mode == "economic"
    assert settings.store_number_in_stripe_field == "metadata.economic_customer_number"
    assert settings.defaults.currency is None and not settings.defaults_complete
    assert {m.economic_field: m.stripe_field for m in settings.field_mappings} == {
        "name": "name",
        "email": "email",
        "address": "address.line1+address.line2",
        "city": "address.city",
        "zip": "address.postal_code",
        "country": "address.country",
        "telephoneAndFaxNumber": "phone",
    }
    assert (settings.update_existing, settings.on_stripe_delete) == ("created_by_us", "ignore")


def test_default_document_is_a_fresh_copy_each_time():
    default_document()["matching"]["rules"].clear()
    assert default_document()["matching"]["rules"]


def test_the_design_example_document_is_valid():
    design = {
        "version": 1,
        "matching": {
            "rules": [{"stripe_field": "email", "economic_field": "email"}],
            "on_empty_value": "fail",
        },
        "customer_number": {
            "mode": "economic",
            "stripe_field": None,
            "store_in_stripe_field": "metadata.economic_customer_number",
        },
        "defaults": {
            "payment_terms_number": 1,
            "customer_group_number": 1,
            "vat_zone_number": 1,
            "currency": "DKK",
            "layout_number": 19,
        },
        "field_mappings": [
            {"economic_field": "name", "stripe_field": "name"},
            {"economic_field": "email", "stripe_field": "email"},
        ],
    }
    assert validate_document(design, economic_lists=LISTS) == []
    settings = parse(design)
    assert settings.defaults_complete
    assert all(m.keep_updated for m in settings.field_mappings)
    assert settings.update_existing == "created_by_us"


def test_every_problem_is_named_at_once():
    doc = default_document()
    doc["surprise"] = 1
    doc["matching"]["on_empty_value"] = "skip"
    doc["matching"]["rules"].append({"stripe_field": "nickname", "economic_field": "mobilePhone"})
    doc["customer_number"] = {"mode": "guess", "stripe_field": None, "store_in_stripe_field": "email"}
    doc["defaults"]["currency"] = "dkk"
    doc["defaults"]["payment_terms_number"] = "1"
    doc["field_mappings"].append({"economic_field": "name", "stripe_field": "metadata." + "k" * 41})
    doc["sync"]["update_existing"] = "sometimes"
    problems = validate_document(doc)
    assert problems == [
        "surprise: unknown key "
        "(allowed: accounts, customer_number, defaults, field_mappings, matching, sync, version).",
        "matching.on_empty_value: “skip” is not one of fail, next_rule.",
        "matching.rules[1].stripe_field: “nickname” is not a Stripe customer field.",
        "matching.rules[1].economic_field: “mobilePhone” cannot be a match field: e-conomic cannot "
        "filter customers on it (use one of customerNumber, name, email, address, city, zip, country, "
        "corporateIdentificationNumber, telephoneAndFaxNumber, website, publicEntryNumber, ean, "
        "vatNumber).",
        "customer_number.mode: “guess” is not one of economic, stripe.",
        "customer_number.store_in_stripe_field: “email” must be a Stripe metadata key "
        "(metadata.<key>) or null.",
        "defaults.payment_terms_number: “1” is not a whole number from 1 to 999,999,999.",
        "defaults.currency: “dkk” is not a three-letter ISO currency code like DKK.",
        "field_mappings[7].economic_field: “name” is mapped twice.",
        f"field_mappings[7].stripe_field: the metadata key “{'k' * 41}” is 41 characters; Stripe allows 40.",
        "sync.update_existing: “sometimes” is not one of never, created_by_us, always.",
    ]


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("a[b]", "contains [ or ]"),
        ("k" * 41, "is 41 characters; Stripe allows 40"),
        ("", "the metadata key is empty"),
        (" padded", "starts or ends with a space"),
    ],
)
def test_metadata_keys_follow_stripes_limits(key, problem):
    doc = default_document()
    doc["customer_number"] = {
        "mode": "stripe",
        "stripe_field": f"metadata.{key}",
        "store_in_stripe_field": None,
    }
    (found,) = validate_document(doc)
    assert found.startswith("customer_number.stripe_field:") and problem in found


def test_a_forty_character_metadata_key_is_fine():
    doc = default_document()
    doc["customer_number"]["store_in_stripe_field"] = "metadata." + "k" * 40
    assert validate_document(doc) == []


def test_missing_sections_and_a_wrong_version_are_named():
    assert validate_document({"version": 3}) == [
        "version: must be 1 or 2 (this document says 3).",
        "matching: missing.",
        "customer_number: missing.",
        "defaults: missing.",
        "field_mappings: missing.",
    ]
    assert validate_document([]) == ["The settings document must be a JSON object."]


def test_a_match_rule_list_may_not_be_empty():
    doc = default_document()
    doc["matching"]["rules"] = []
    assert validate_document(doc) == [
        "matching.rules: needs at least one rule, or every customer would be created anew."
    ]


def test_stripe_number_mode_needs_a_field_and_economic_mode_none():
    doc = default_document()
    doc["customer_number"] = {"mode": "stripe", "stripe_field": None, "store_in_stripe_field": None}
    assert validate_document(doc) == ["customer_number.stripe_field: no Stripe field is given."]
    doc["customer_number"] = {"mode": "economic", "stripe_field": "metadata.n", "store_in_stripe_field": None}
    assert validate_document(doc) == [
        "customer_number.stripe_field: must be null when e-conomic creates the numbers."
    ]


def test_numbers_must_be_in_the_merchants_economic_lists_when_given():
    doc = default_document()
    doc["defaults"].update(
        payment_terms_number=7, customer_group_number=1, vat_zone_number=1, currency="SEK", layout_number=19
    )
    doc["defaults"]["vat_zone_by_country"] = {"home_country": "DK", "domestic": 1, "eu": 2, "abroad": 4}
    assert validate_document(doc) == []  # without the lists, only the shape is checked
    assert validate_document(doc, economic_lists=LISTS) == [
        "defaults.payment_terms_number: 7 is not in your e-conomic payment terms (1, 2).",
        "defaults.currency: SEK is not in your e-conomic currencies (DKK, EUR).",
        "defaults.vat_zone_by_country.abroad: 4 is not in your e-conomic vat zones (1, 2, 3).",
    ]


def test_vat_zone_by_country_needs_a_home_country_and_all_three_zones():
    doc = default_document()
    doc["defaults"]["vat_zone_by_country"] = {"home_country": "XX", "domestic": 1, "eu": None}
    assert validate_document(doc) == [
        "defaults.vat_zone_by_country.home_country: “XX” is not a two-letter country code like DK.",
        "defaults.vat_zone_by_country.eu: missing (a VAT zone number).",
        "defaults.vat_zone_by_country.abroad: missing (a VAT zone number).",
    ]


def test_parse_ignores_the_number_field_of_the_mode_not_chosen():
    doc = copy.deepcopy(default_document())
    doc["customer_number"] = {"mode": "stripe", "stripe_field": "metadata.no", "store_in_stripe_field": None}
    settings = parse(doc)
    assert (settings.number_stripe_field, settings.store_number_in_stripe_field) == ("metadata.no", None)


# The customers collection's filterable properties, as ../shared/reference/economic-api.md lists them.
ECONOMIC_FILTERABLE = {
    "address", "balance", "barred", "city", "corporateIdentificationNumber", "country", "creditLimit",
    "currency", "customerNumber", "ean", "email", "lastUpdated", "name", "publicEntryNumber",
    "telephoneAndFaxNumber", "vatNumber", "website", "zip",
}  # fmt: skip


def test_match_fields_are_exactly_the_catalogued_fields_economic_can_filter_on():
    assert set(FILTERABLE_ECONOMIC_FIELDS) == ECONOMIC_FILTERABLE & set(ECONOMIC_FIELDS)
    assert {"mobilePhone", "pNumber"} & set(FILTERABLE_ECONOMIC_FIELDS) == set()


@pytest.mark.parametrize("field", ["mobilePhone", "pNumber"])
def test_a_match_rule_on_a_field_economic_cannot_filter_is_refused_by_name(field):
    doc = default_document()
    doc["matching"]["rules"] = [{"stripe_field": "phone", "economic_field": field}]
    (problem,) = validate_document(doc)
    assert problem.startswith(
        f"matching.rules[0].economic_field: “{field}” cannot be a match field: e-conomic cannot filter"
    )


@pytest.mark.parametrize("key", ["nul\x00key", "tab\tkey", "line\nkey"])
def test_a_metadata_key_with_a_control_character_is_refused(key):
    doc = default_document()
    doc["customer_number"]["store_in_stripe_field"] = f"metadata.{key}"
    (problem,) = validate_document(doc)
    assert (
        problem
        == f"customer_number.store_in_stripe_field: the metadata key {key!r} contains a control character."
    )
