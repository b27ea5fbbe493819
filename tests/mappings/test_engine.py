"""The pure core: Stripe customer + settings → e-conomic searches and payloads."""

import json
import re
from pathlib import Path

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from mappings.catalog import ECONOMIC_FIELDS
from mappings.document import default_document, parse
from mappings.engine import (
    MatchQuery,
    customer_matches,
    plan_customer,
    stripe_value,
    update_payload,
)

EXAMPLES = Path("/work/shared/reference/examples")
if not EXAMPLES.exists():  # pragma: no cover - the shared reference is outside the repository
    EXAMPLES = None


def stripe_customer(**fields) -> dict:
    return {"id": "cus_123", "object": "customer", "metadata": {}, **fields}


def plan(doc: dict, customer: dict):
    return plan_customer(settings=parse(doc), stripe_customer=customer)


NORDLYS = stripe_customer(
    id="cus_QxT4mPz0aB12Cd",
    address={
        "city": "Aarhus C",
        "country": "DK",
        "line1": "Vestergade 12",
        "line2": "2. th",
        "postal_code": "8000",
        "state": None,
    },
    email="bogholderi@nordlys-design.dk",
    metadata={"cvr": "12345678"},
    name="Nordlys Design ApS",
    phone="+45 86 12 34 56",
    shipping=None,
)


def test_default_settings_build_the_exact_create_payload(document):
    result = plan(document, NORDLYS)
    assert result.blocking_error is None
    assert result.create_payload == {
        "name": "Nordlys Design ApS",
        "email": "bogholderi@nordlys-design.dk",
        "address": "Vestergade 12, 2. th",
        "city": "Aarhus C",
        "zip": "8000",
        "country": "Denmark",
        "telephoneAndFaxNumber": "+45 86 12 34 56",
        "currency": "DKK",
        "customerGroup": {"customerGroupNumber": 1},
        "paymentTerms": {"paymentTermsNumber": 1},
        "vatZone": {"vatZoneNumber": 1},
        "layout": {"layoutNumber": 19},
    }
    assert result.warnings == ()
    assert result.customer_number is None


def test_email_rule_searches_with_like_and_escapes_the_value(document):
    result = plan(document, stripe_customer(email="  a(b)*c@x.dk "))
    (query,) = result.match_queries
    assert query == MatchQuery(1, "email", "email", "a(b)*c@x.dk", "email$like:a$(b$)$*c@x.dk")


def test_other_fields_search_with_eq(document):
    document["matching"]["rules"] = [
        {"stripe_field": "metadata.cvr", "economic_field": "corporateIdentificationNumber"}
    ]
    (query,) = plan(document, NORDLYS).match_queries
    assert query.filter == "corporateIdentificationNumber$eq:12345678"


@pytest.mark.parametrize("email", [None, "", "   ", "\t\n"])
def test_empty_match_value_with_fail_is_a_blocking_error(document, email):
    result = plan(document, stripe_customer(email=email))
    assert result.blocking_error == (
        "Stripe customer cus_123 has no email, and email is your match field (rule 1): add one in "
        "Stripe, or let the rule fall through to the next one."
    )
    assert result.match_queries == ()


def test_missing_match_field_is_empty_too(document):
    assert "has no email" in plan(document, {"id": "cus_9"}).blocking_error


def test_next_rule_falls_through_to_the_rule_with_a_value(document):
    document["matching"] = {
        "rules": [
            {"stripe_field": "email", "economic_field": "email"},
            {"stripe_field": "metadata.cvr", "economic_field": "corporateIdentificationNumber"},
        ],
        "on_empty_value": "next_rule",
    }
    result = plan(document, stripe_customer(email=" ", metadata={"cvr": "12345678"}))
    assert result.blocking_error is None
    assert [(q.rule_number, q.value) for q in result.match_queries] == [(2, "12345678")]


def test_next_rule_with_no_value_at_all_is_a_blocking_error(document):
    document["matching"]["on_empty_value"] = "next_rule"
    result = plan(document, stripe_customer())
    assert result.blocking_error.startswith("Stripe customer cus_123 has none of your match fields (email)")


def test_match_on_customer_number_needs_a_whole_number(document):
    document["matching"]["rules"] = [{"stripe_field": "metadata.no", "economic_field": "customerNumber"}]
    assert plan(document, stripe_customer(metadata={"no": "42"})).match_queries[0].filter == (
        "customerNumber$eq:42"
    )
    blocked = plan(document, stripe_customer(metadata={"no": "4x"}))
    # Words, not the stored path: "metadata key ‘no’" (issue 21).
    assert "“4x” in metadata key ‘no’" in blocked.blocking_error
    assert "compares with the e-conomic customer number" in blocked.blocking_error


def test_dotted_paths_reach_into_lists_and_expanded_list_objects():
    as_list_object = {"tax_ids": {"object": "list", "data": [{"value": " DK12345678 "}]}}
    as_list = {"tax_ids": [{"value": "DK12345678"}]}
    assert stripe_value(as_list_object, "tax_ids.0.value") == "DK12345678"
    assert stripe_value(as_list, "tax_ids.0.value") == "DK12345678"
    assert stripe_value(as_list, "tax_ids.1.value") is None
    assert stripe_value({"tax_ids": None}, "tax_ids.0.value") is None
    assert stripe_value({"shipping": {"address": {"city": "Odense"}}}, "shipping.address.city") == "Odense"
    assert stripe_value({"shipping": None}, "shipping.address.city") is None
    assert stripe_value({"address": {"line1": "x"}}, "address") is None  # an object is not a value


def test_metadata_keys_are_read_whole_even_with_dots():
    assert stripe_value({"metadata": {"erp.number": " 7 "}}, "metadata.erp.number") == "7"
    assert stripe_value({"metadata": None}, "metadata.x") is None


def test_address_joins_line1_and_line2_and_skips_an_empty_line(document):
    result = plan(document, stripe_customer(name="A", address={"line1": "Vestergade 12", "line2": " "}))
    assert result.create_payload["address"] == "Vestergade 12"


def test_text_longer_than_economic_allows_is_cut_with_a_warning(document):
    city = "Å" * 60
    result = plan(document, stripe_customer(name="A", address={"city": city}))
    assert result.create_payload["city"] == "Å" * 50
    assert result.warnings == (
        "City from Stripe (billing address, city) is 60 characters and e-conomic allows 50: it was cut "
        "to 50.",
    )


@pytest.mark.parametrize(
    ("code", "name"),
    [("DK", "Denmark"), ("dk", "Denmark"), ("DE", "Germany"), ("GB", "United Kingdom"), ("TW", "Taiwan")],
)
def test_country_codes_are_written_as_english_names(document, code, name):
    assert plan(document, stripe_customer(address={"country": code})).create_payload["country"] == name


def test_an_unknown_country_code_is_written_as_it_is_with_a_warning(document):
    result = plan(document, stripe_customer(name="A", address={"country": "ZZ"}))
    assert result.create_payload["country"] == "ZZ"
    assert result.warnings == ("Country code “ZZ” is not a known ISO country code: it was written as it is.",)


def stripe_mode(document, field="metadata.customer_number"):
    document["customer_number"] = {"mode": "stripe", "stripe_field": field, "store_in_stripe_field": None}
    return document


@pytest.mark.parametrize(("raw", "number"), [("1042", 1042), (" 7 ", 7), ("999999999", 999_999_999)])
def test_stripe_number_mode_uses_the_whole_number(document, raw, number):
    result = plan(
        stripe_mode(document), stripe_customer(name="A", email="a@b.dk", metadata={"customer_number": raw})
    )
    assert result.blocking_error is None
    assert result.customer_number == number
    assert result.create_payload["customerNumber"] == number


@pytest.mark.parametrize("raw", ["10.5", "abc", "0", "-3", "1000000000", "1e3", "١٢", "+5"])
def test_stripe_number_mode_refuses_what_is_not_a_customer_number(document, raw):
    result = plan(stripe_mode(document), stripe_customer(email="a@b.dk", metadata={"customer_number": raw}))
    assert result.customer_number is None
    assert "customerNumber" not in result.create_payload
    assert result.blocking_error == (
        f"Stripe customer cus_123 has “{raw}” in metadata key ‘customer_number’, which is not a valid "
        "e-conomic customer number: it must be a whole number from 1 to 999,999,999."
    )


def test_stripe_number_mode_without_a_number_names_the_field(document):
    result = plan(stripe_mode(document), stripe_customer(email="a@b.dk", metadata={"customer_number": ""}))
    assert result.blocking_error.startswith(
        "Stripe customer cus_123 has no metadata key ‘customer_number’, which your settings use as the "
        "e-conomic"
    )


def test_set_on_create_only_fields_are_not_in_the_update(document):
    document["field_mappings"][0]["keep_updated"] = False  # name
    result = plan(document, NORDLYS)
    assert result.create_payload["name"] == "Nordlys Design ApS"
    assert "name" not in result.update_fields
    assert result.update_fields["email"] == "bogholderi@nordlys-design.dk"


def test_empty_stripe_values_are_left_out_rather_than_wiping_economic(document):
    result = plan(document, stripe_customer(name="A", phone="  ", email="a@b.dk"))
    assert "telephoneAndFaxNumber" not in result.create_payload
    assert "telephoneAndFaxNumber" not in result.update_fields


def test_a_customer_without_name_gets_the_email_as_name_with_a_warning(document):
    result = plan(document, stripe_customer(email="anna@firma.dk"))
    assert result.create_payload["name"] == "anna@firma.dk"
    # Only a customer created from the plan gets the made-up name, so only its record says so.
    assert result.warnings == ()
    assert result.create_warnings == (
        "Stripe customer cus_123 has no name: the e-conomic name is “anna@firma.dk”.",
    )


def test_unset_defaults_are_left_out_of_the_payload():
    result = plan(default_document(), NORDLYS)
    assert not {"currency", "customerGroup", "paymentTerms", "vatZone", "layout"} & set(result.create_payload)
    assert parse(default_document()).defaults_complete is False


def test_p_number_must_be_exactly_10_characters_or_is_left_out(document):
    document["field_mappings"].append({"economic_field": "pNumber", "stripe_field": "metadata.p"})
    good = plan(document, stripe_customer(name="A", metadata={"p": "1012345678"}))
    assert good.create_payload["pNumber"] == "1012345678"
    assert good.warnings == ()
    for wrong in ("101234567", "10123456789"):
        bad = plan(document, stripe_customer(name="A", metadata={"p": wrong}))
        assert "pNumber" not in bad.create_payload
        assert bad.warnings == (
            f"P-number (production unit) “{wrong}” from Stripe (metadata key ‘p’) is not exactly 10 "
            "characters: it was left out.",
        )


@pytest.mark.parametrize(("field", "limit"), [("ean", 40), ("vatNumber", 50), ("mobilePhone", 50)])
def test_ean_vat_number_and_mobile_phone_are_cut_to_economics_lengths_with_a_warning(document, field, limit):
    document["field_mappings"].append({"economic_field": field, "stripe_field": "metadata.v"})
    fits = plan(document, stripe_customer(name="A", metadata={"v": "5" * limit}))
    assert fits.create_payload[field] == "5" * limit
    assert fits.warnings == ()
    long = plan(document, stripe_customer(name="A", metadata={"v": "5" * (limit + 1)}))
    assert long.create_payload[field] == "5" * limit
    assert long.warnings == (
        f"{ECONOMIC_FIELDS[field].label} from Stripe (metadata key ‘v’) is {limit + 1} characters and "
        "e-conomic allows "
        f"{limit}: it was cut to {limit}.",
    )


@pytest.mark.parametrize(
    ("address", "zone"),
    [({"country": "DK"}, 1), ({"country": "de"}, 2), ({"country": "US"}, 3), (None, 9)],
)
def test_vat_zone_follows_the_country_when_configured(document, address, zone):
    document["defaults"]["vat_zone_number"] = 9
    document["defaults"]["vat_zone_by_country"] = {"home_country": "DK", "domestic": 1, "eu": 2, "abroad": 3}
    result = plan(document, stripe_customer(name="A", address=address))
    assert result.create_payload["vatZone"] == {"vatZoneNumber": zone}


def test_vat_zone_by_country_without_default_treats_no_country_as_domestic(document):
    document["defaults"]["vat_zone_number"] = None
    document["defaults"]["vat_zone_by_country"] = {"home_country": "DK", "domestic": 1, "eu": 2, "abroad": 3}
    settings = parse(document)
    assert settings.defaults_complete
    result = plan_customer(settings=settings, stripe_customer=stripe_customer(name="A"))
    assert result.create_payload["vatZone"] == {"vatZoneNumber": 1}
    # The zone matters only to a customer created from the plan: the note goes with the create.
    assert result.warnings == ()
    assert "has no country" in result.create_warnings[0]


def email_query(value: str) -> MatchQuery:
    return MatchQuery(1, "email", "email", value, f"email$like:{value}")


def test_email_match_accepts_one_of_several_addresses_case_insensitively():
    assert customer_matches(email_query("anna@firma.dk"), {"email": "info@firma.dk Anna@Firma.DK"})
    assert not customer_matches(email_query("anna@firma.dk"), {"email": "hanna@firma.dk"})
    assert not customer_matches(email_query("anna@firma.dk"), {"name": "no email"})


def test_other_fields_match_trimmed_and_case_insensitively():
    query = MatchQuery(1, "name", "name", "Nordlys Design ApS", "")
    assert customer_matches(query, {"name": " nordlys design aps "})
    assert not customer_matches(query, {"name": "Nordlys Design"})
    assert customer_matches(MatchQuery(1, "metadata.n", "customerNumber", "42", ""), {"customerNumber": 42})


def test_update_payload_is_the_current_customer_without_read_only_fields_plus_ours(document):
    current = {
        "customerNumber": 1042,
        "name": "Old name",
        "currency": "DKK",
        "balance": 12.5,
        "dueAmount": 0,
        "lastUpdated": "2026-11-24T10:15:00Z",
        "self": "https://restapi.e-conomic.com/customers/1042",
        "contacts": "https://restapi.e-conomic.com/customers/1042/contacts",
        "templates": {},
        "totals": {},
        "deliveryLocations": "",
        "invoices": {},
        "barred": False,
    }
    body = update_payload(current_customer=current, plan=plan(document, NORDLYS))
    assert body["name"] == "Nordlys Design ApS"
    assert body["customerNumber"] == 1042 and body["barred"] is False
    assert not {"balance", "dueAmount", "lastUpdated", "self", "contacts", "templates", "totals"} & set(body)


def test_fingerprint_changes_only_when_an_updated_field_changes(document):
    first = plan(document, NORDLYS)
    assert plan(document, {**NORDLYS, "description": "changed"}).fingerprint == first.fingerprint
    assert plan(document, {**NORDLYS, "name": "New name"}).fingerprint != first.fingerprint


@pytest.mark.skipif(EXAMPLES is None, reason="shared reference examples not present")
def test_the_reference_stripe_customer_plans_without_warnings(document):
    customer = json.loads((EXAMPLES / "stripe-customer.json").read_text())
    result = plan(document, customer)
    assert result.blocking_error is None and result.warnings == ()
    assert result.create_payload["address"] == "Vestergade 12, 2. th"


# Properties: the engine holds for any text Stripe may hold.

json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=80)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)
stripe_like = st.fixed_dictionaries(
    {"id": st.just("cus_h")},
    optional={
        "email": json_scalars,
        "name": json_values,
        "phone": json_scalars,
        "address": json_values,
        "metadata": st.dictionaries(st.text(max_size=40), st.text(max_size=600), max_size=4),
        "tax_ids": json_values,
        "shipping": json_values,
    },
)


def _unescape(value: str) -> str:
    return re.sub(r"\$(.)", r"\1", value)


@given(customer=stripe_like)
def test_any_customer_gets_a_plan_within_economic_limits(customer):
    doc = default_document()
    doc["defaults"].update(payment_terms_number=1, customer_group_number=1, vat_zone_number=1, currency="DKK")
    result = plan_customer(settings=parse(doc), stripe_customer=customer)
    assert (result.blocking_error is None) == bool(result.match_queries)
    limits = {"name": 255, "email": 255, "address": 510, "city": 50, "zip": 30, "country": 50}
    for field, limit in limits.items():
        value = result.create_payload.get(field)
        assert value is None or (0 < len(value) <= limit and value == value.strip())


@given(value=st.text(min_size=1).filter(lambda v: v.strip() and not any(c.isspace() for c in v.strip())))
@example(value="Anna@Firma.dk")
def test_email_filter_round_trips_any_value_and_matches_it(value):
    doc = default_document()
    result = plan_customer(settings=parse(doc), stripe_customer={"id": "cus_h", "email": value})
    (query,) = result.match_queries
    assert query.filter.startswith("email$like:")
    assert _unescape(query.filter.removeprefix("email$like:")) == value.strip()
    shouted = value.strip().upper()
    # Upper-casing is not always case-insensitively equal (Turkish dotless ı becomes I, whose
    # case-fold is i): only such values are expected to match in another case.
    assume(shouted.casefold() == value.strip().casefold())
    assert customer_matches(query, {"email": f"other@x.dk {shouted}"})


@given(text=st.text(max_size=30))
def test_stripe_value_is_trimmed_text_or_none(text):
    value = stripe_value({"shipping": {"name": text}}, "shipping.name")
    assert value == (text.strip() or None)


@given(number=st.integers())
def test_only_numbers_in_economics_range_are_accepted(number):
    doc = stripe_mode(default_document())
    result = plan_customer(
        settings=parse(doc),
        stripe_customer={"id": "cus_h", "email": "a@b.dk", "metadata": {"customer_number": str(number)}},
    )
    assert (result.customer_number == number) == (1 <= number <= 999_999_999)
    assert (result.blocking_error is None) == (1 <= number <= 999_999_999)
