"""What is sent to e-conomic: the create payload's defaults, mapped values made to fit e-conomic's
rules, and the whole-customer bodies of a PUT (update, bar)."""

import hashlib
import json

import pycountry

from ..catalog import ECONOMIC_FIELDS, STRIPE_COUNTRY_FIELDS
from .notes import Note
from .stripe_paths import country_code
from .types import CustomerPlan, Defaults, FieldMapping

# Properties e-conomic computes or links to; a PUT carries the rest of the customer back.
READ_ONLY_CUSTOMER_FIELDS = frozenset(
    {
        "balance",
        "dueAmount",
        "lastUpdated",
        "self",
        "contacts",
        "deliveryLocations",
        "templates",
        "totals",
        "invoices",
        "metaData",
    }
)
EU_COUNTRIES = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
)


def economic_value(mapping: FieldMapping, value: str | None, warnings: list[Note]) -> str | None:
    """A Stripe value as the e-conomic field takes it: a country name, a fixed length, cut to length."""
    if value is None:
        return None
    field = ECONOMIC_FIELDS[mapping.economic_field]
    if mapping.economic_field == "country" and mapping.stripe_field in STRIPE_COUNTRY_FIELDS:
        value = _country_name(value, warnings)
    if field.kind == "fixed" and len(value) != field.max_length:
        # e-conomic refuses any other length with a 400; the rest of the customer still syncs.
        warnings.append(
            Note(
                "value_wrong_length",
                economic_name=mapping.economic_field,
                value=value,
                stripe_path=mapping.stripe_field,
                length=field.max_length,
            )
        )
        return None
    if field.max_length is not None and len(value) > field.max_length:
        warnings.append(
            Note(
                "value_cut",
                economic_name=mapping.economic_field,
                stripe_path=mapping.stripe_field,
                length=len(value),
                most=field.max_length,
            )
        )
        value = value[: field.max_length].rstrip()
    return value


def _country_name(code: str, warnings: list[Note]) -> str:
    country = pycountry.countries.get(alpha_2=code.upper()) if len(code) == 2 else None
    if country is None:
        warnings.append(Note("country_unknown", code=code))
        return code
    # pycountry's `common_name` is the everyday name ("Taiwan"), where the official one is long.
    return getattr(country, "common_name", None) or country.name


def defaults_payload(defaults: Defaults, stripe_customer: dict, warnings: list[Note]) -> dict:
    payload: dict = {}
    if defaults.currency:
        payload["currency"] = defaults.currency
    if defaults.customer_group_number is not None:
        payload["customerGroup"] = {"customerGroupNumber": defaults.customer_group_number}
    if defaults.payment_terms_number is not None:
        payload["paymentTerms"] = {"paymentTermsNumber": defaults.payment_terms_number}
    vat_zone = _vat_zone(defaults, stripe_customer, warnings)
    if vat_zone is not None:
        payload["vatZone"] = {"vatZoneNumber": vat_zone}
    if defaults.layout_number is not None:
        payload["layout"] = {"layoutNumber": defaults.layout_number}
    return payload


def _vat_zone(defaults: Defaults, stripe_customer: dict, warnings: list[Note]) -> int | None:
    by_country = defaults.vat_zone_by_country
    if not by_country:
        return defaults.vat_zone_number
    code = country_code(stripe_customer)
    if code is None:
        fallback = (
            defaults.vat_zone_number if defaults.vat_zone_number is not None else by_country["domestic"]
        )
        code = "vat_zone_default" if fallback == defaults.vat_zone_number else "vat_zone_domestic"
        warnings.append(Note(code, id=stripe_customer.get("id"), zone=fallback))
        return fallback
    if code == str(by_country["home_country"]).upper():
        return by_country["domestic"]
    return by_country["eu"] if code in EU_COUNTRIES else by_country["abroad"]


def fingerprint(update_fields: dict) -> str:
    """A hash of the kept-updated values: an update is sent only when it changes."""
    canonical = json.dumps(update_fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _writable(current_customer: dict) -> dict:
    return {k: v for k, v in current_customer.items() if k not in READ_ONLY_CUSTOMER_FIELDS}


def update_payload(*, current_customer: dict, plan: CustomerPlan) -> dict:
    """The whole customer for a PUT (a full replacement): what e-conomic has now + our fields."""
    return {**_writable(current_customer), **plan.update_fields}


def barred_payload(*, current_customer: dict) -> dict:
    """The whole customer for a PUT that bars it (Stripe deleted it; the policy says bar)."""
    return {**_writable(current_customer), "barred": True}
