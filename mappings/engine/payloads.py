"""What is sent to e-conomic: the create payload's defaults, mapped values made to fit e-conomic's
rules, and the whole-customer bodies of a PUT (update, bar)."""

import hashlib
import json

import pycountry
from django.utils.translation import gettext as _

from ..catalog import ECONOMIC_FIELDS, STRIPE_COUNTRY_FIELDS, stripe_field_words
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


def economic_value(mapping: FieldMapping, value: str | None, warnings: list[str]) -> str | None:
    """A Stripe value as the e-conomic field takes it: a country name, a fixed length, cut to length."""
    if value is None:
        return None
    field = ECONOMIC_FIELDS[mapping.economic_field]
    if mapping.economic_field == "country" and mapping.stripe_field in STRIPE_COUNTRY_FIELDS:
        value = _country_name(value, warnings)
    if field.kind == "fixed" and len(value) != field.max_length:
        # e-conomic refuses any other length with a 400; the rest of the customer still syncs.
        warnings.append(
            _(
                "%(field)s “%(value)s” from Stripe (%(stripe_field)s) is not exactly %(length)s "
                "characters: it was left out."
            )
            % {
                "field": field.label,
                "value": value,
                "stripe_field": stripe_field_words(mapping.stripe_field),
                "length": field.max_length,
            }
        )
        return None
    if field.max_length is not None and len(value) > field.max_length:
        warnings.append(
            _(
                "%(field)s from Stripe (%(stripe_field)s) is %(length)s characters and e-conomic allows "
                "%(most)s: it was cut to %(most)s."
            )
            % {
                "field": field.label,
                "stripe_field": stripe_field_words(mapping.stripe_field),
                "length": len(value),
                "most": field.max_length,
            }
        )
        value = value[: field.max_length].rstrip()
    return value


def _country_name(code: str, warnings: list[str]) -> str:
    country = pycountry.countries.get(alpha_2=code.upper()) if len(code) == 2 else None
    if country is None:
        warnings.append(
            _("Country code “%(code)s” is not a known ISO country code: it was written as it is.")
            % {"code": code}
        )
        return code
    # pycountry's `common_name` is the everyday name ("Taiwan"), where the official one is long.
    return getattr(country, "common_name", None) or country.name


def defaults_payload(defaults: Defaults, stripe_customer: dict, warnings: list[str]) -> dict:
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


def _vat_zone(defaults: Defaults, stripe_customer: dict, warnings: list[str]) -> int | None:
    by_country = defaults.vat_zone_by_country
    if not by_country:
        return defaults.vat_zone_number
    code = country_code(stripe_customer)
    if code is None:
        fallback = (
            defaults.vat_zone_number if defaults.vat_zone_number is not None else by_country["domestic"]
        )
        said = {"id": stripe_customer.get("id"), "zone": fallback}
        if fallback == defaults.vat_zone_number:
            warnings.append(
                _("Stripe customer %(id)s has no country, so its VAT zone is %(zone)s (your default zone).")
                % said
            )
        else:
            warnings.append(
                _("Stripe customer %(id)s has no country, so its VAT zone is %(zone)s (domestic).") % said
            )
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
