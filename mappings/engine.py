"""The pure core: a Stripe customer + the tenant's settings → e-conomic searches and payloads.

No I/O, no models, no Django settings: the sync, the preview and the import all call
`plan_customer`, and tests can throw any customer at it.
"""

import hashlib
import json
import re
from dataclasses import dataclass

import pycountry

from syncapp.clients.economic import escape_filter_value, filter_equals

from .catalog import COMPOSITE_SEPARATOR, ECONOMIC_FIELDS, METADATA_PREFIX, STRIPE_COUNTRY_FIELDS

CUSTOMER_NUMBER_MIN, CUSTOMER_NUMBER_MAX = 1, 999_999_999
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


@dataclass(frozen=True)
class MatchRule:
    stripe_field: str
    economic_field: str


@dataclass(frozen=True)
class FieldMapping:
    economic_field: str
    stripe_field: str | None
    keep_updated: bool  # False = set on create only


@dataclass(frozen=True)
class Defaults:
    payment_terms_number: int | None
    customer_group_number: int | None
    vat_zone_number: int | None
    currency: str | None
    layout_number: int | None
    # {"home_country": "DK", "domestic": 1, "eu": 2, "abroad": 3} or None
    vat_zone_by_country: dict | None


@dataclass(frozen=True)
class SyncSettings:
    match_rules: tuple[MatchRule, ...]
    on_empty_value: str  # "fail" | "next_rule"
    number_mode: str  # "economic" | "stripe"
    number_stripe_field: str | None
    store_number_in_stripe_field: str | None
    defaults: Defaults
    field_mappings: tuple[FieldMapping, ...]
    update_existing: str  # never | created_by_us | always
    on_stripe_delete: str  # ignore | bar

    @property
    def defaults_complete(self) -> bool:
        """Everything e-conomic requires to create a customer is set (the name comes from Stripe)."""
        d = self.defaults
        has_vat_zone = d.vat_zone_number is not None or d.vat_zone_by_country is not None
        return None not in (d.payment_terms_number, d.customer_group_number, d.currency) and has_vat_zone


@dataclass(frozen=True)
class MatchQuery:
    rule_number: int
    stripe_field: str
    economic_field: str
    value: str
    filter: str


@dataclass(frozen=True)
class CustomerPlan:
    match_queries: tuple[MatchQuery, ...]
    blocking_error: str | None
    create_payload: dict
    update_fields: dict
    fingerprint: str
    customer_number: int | None
    warnings: tuple[str, ...]


def stripe_value(stripe_customer: dict, path: str) -> str | None:
    """The trimmed text at a dotted path, or None when it is missing, null or only whitespace.

    `metadata.<key>` reads the key whole (keys may contain dots); a number in the path indexes a
    list, or the `data` list of an expanded Stripe list object (`tax_ids.0.value`). A composite
    `a+b` joins the non-empty parts with ", ".
    """
    if COMPOSITE_SEPARATOR in path and not path.startswith(METADATA_PREFIX):
        parts = [stripe_value(stripe_customer, part) for part in path.split(COMPOSITE_SEPARATOR)]
        return ", ".join(p for p in parts if p) or None
    if path.startswith(METADATA_PREFIX):
        value = (stripe_customer.get("metadata") or {}).get(path.removeprefix(METADATA_PREFIX))
    else:
        value = stripe_customer
        for part in path.split("."):
            value = _step(value, part)
            if value is None:
                return None
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        value = "true" if value else "false"
    text = str(value).strip()
    return text or None


def _step(value, part: str):
    if isinstance(value, dict) and part in value:
        return value[part]
    if isinstance(value, dict) and isinstance(value.get("data"), list):
        value = value["data"]
    if isinstance(value, list) and part.isdigit() and int(part) < len(value):
        return value[int(part)]
    return None


def plan_customer(*, settings: SyncSettings, stripe_customer: dict) -> CustomerPlan:
    customer_id = stripe_customer.get("id") or "(no id)"
    warnings: list[str] = []
    queries, blocking = _match_queries(settings, stripe_customer, customer_id)

    customer_number = None
    if settings.number_mode == "stripe" and settings.number_stripe_field:
        customer_number, number_problem = _customer_number(
            stripe_value(stripe_customer, settings.number_stripe_field),
            settings.number_stripe_field,
            customer_id,
        )
        blocking = blocking or number_problem

    mapped: dict[str, str] = {}
    update_fields: dict[str, str] = {}
    for mapping in settings.field_mappings:
        if mapping.stripe_field is None:
            continue
        value = _economic_value(mapping, stripe_value(stripe_customer, mapping.stripe_field), warnings)
        # An empty Stripe value leaves e-conomic's value alone rather than wiping what a
        # bookkeeper may have typed there.
        if value is None:
            continue
        mapped[mapping.economic_field] = value
        if mapping.keep_updated:
            update_fields[mapping.economic_field] = value

    create_payload = _defaults_payload(settings.defaults, stripe_customer, warnings)
    create_payload.update(mapped)
    # A created customer must be findable by the rules that looked for it: that is how the retry
    # after a lost create reply finds it instead of creating it a second time.
    for query in queries:
        if (
            query.economic_field not in create_payload
            and ECONOMIC_FIELDS[query.economic_field].kind != "integer"
        ):
            create_payload[query.economic_field] = query.value
    if not create_payload.get("name"):
        fallback = stripe_value(stripe_customer, "email") or customer_id
        # e-conomic requires a name; many Stripe customers (checkout) only have an email.
        create_payload["name"] = fallback[: ECONOMIC_FIELDS["name"].max_length]
        warnings.append(f"Stripe customer {customer_id} has no name: the e-conomic name is “{fallback}”.")
    if customer_number is not None:
        create_payload["customerNumber"] = customer_number

    return CustomerPlan(
        match_queries=tuple(queries),
        blocking_error=blocking,
        create_payload=create_payload,
        update_fields=update_fields,
        fingerprint=_fingerprint(update_fields),
        customer_number=customer_number,
        warnings=tuple(warnings),
    )


def _match_queries(
    settings: SyncSettings, stripe_customer: dict, customer_id: str
) -> tuple[list[MatchQuery], str | None]:
    queries: list[MatchQuery] = []
    for number, rule in enumerate(settings.match_rules, start=1):
        value = stripe_value(stripe_customer, rule.stripe_field)
        if value is None:
            if settings.on_empty_value == "fail":
                return queries, (
                    f"Stripe customer {customer_id} has no {rule.stripe_field}, and {rule.stripe_field} is "
                    f"your match field (rule {number}): add one in Stripe, or let the rule fall through to "
                    "the next one."
                )
            continue
        if ECONOMIC_FIELDS[rule.economic_field].kind == "integer" and not _is_customer_number(value):
            return queries, (
                f"Stripe customer {customer_id} has “{value}” in {rule.stripe_field}, which match rule "
                f"{number} compares with the e-conomic {rule.economic_field}: it must be a whole number "
                f"from {CUSTOMER_NUMBER_MIN} to {CUSTOMER_NUMBER_MAX:,}."
            )
        queries.append(
            MatchQuery(
                number, rule.stripe_field, rule.economic_field, value, _filter(rule.economic_field, value)
            )
        )
    if not queries:
        fields = ", ".join(rule.stripe_field for rule in settings.match_rules) or "none set"
        return queries, (
            f"Stripe customer {customer_id} has none of your match fields ({fields}), so it cannot be "
            "looked up in e-conomic: add one of them in Stripe, or add a match rule on a field it has."
        )
    return queries, None


def _filter(economic_field: str, value: str) -> str:
    if economic_field == "email":
        # e-conomic's email may hold several addresses; `$like:` finds ours among them and
        # customer_matches confirms the exact address.
        return f"email$like:{escape_filter_value(value)}"
    return filter_equals(economic_field, value)


def customer_matches(query: MatchQuery, economic_customer: dict) -> bool:
    """Whether a search hit really has the value (a `$like:` search also finds look-alikes)."""
    found = economic_customer.get(query.economic_field)
    if found is None:
        return False
    wanted = query.value.strip().casefold()
    if query.economic_field == "email":
        return any(address.casefold() == wanted for address in str(found).split())
    return str(found).strip().casefold() == wanted


def update_payload(*, current_customer: dict, plan: CustomerPlan) -> dict:
    """The whole customer for a PUT (a full replacement): what e-conomic has now + our fields."""
    body = {k: v for k, v in current_customer.items() if k not in READ_ONLY_CUSTOMER_FIELDS}
    body.update(plan.update_fields)
    return body


def _is_customer_number(text: str) -> bool:
    return text.isascii() and text.isdigit() and CUSTOMER_NUMBER_MIN <= int(text) <= CUSTOMER_NUMBER_MAX


def _customer_number(value: str | None, field: str, customer_id: str) -> tuple[int | None, str | None]:
    if value is None:
        return None, (
            f"Stripe customer {customer_id} has no {field}, which your settings use as the e-conomic "
            "customer number: add it in Stripe, or let e-conomic create the numbers."
        )
    if not _is_customer_number(value):
        return None, (
            f"Stripe customer {customer_id} has “{value}” in {field}, which is not a valid e-conomic "
            f"customer number: it must be a whole number from {CUSTOMER_NUMBER_MIN} to "
            f"{CUSTOMER_NUMBER_MAX:,}."
        )
    return int(value), None


def _economic_value(mapping: FieldMapping, value: str | None, warnings: list[str]) -> str | None:
    if value is None:
        return None
    field = ECONOMIC_FIELDS[mapping.economic_field]
    if mapping.economic_field == "country" and mapping.stripe_field in STRIPE_COUNTRY_FIELDS:
        value = _country_name(value, warnings)
    if field.kind == "digits":
        digits = re.sub(r"\s", "", value)
        if not (digits.isascii() and digits.isdigit() and len(digits) == field.max_length):
            warnings.append(
                f"{field.label} “{value}” from {mapping.stripe_field} is not {field.max_length} digits: "
                "it was left out."
            )
            return None
        return digits
    if field.max_length is not None and len(value) > field.max_length:
        warnings.append(
            f"{field.label} from {mapping.stripe_field} is {len(value)} characters and e-conomic allows "
            f"{field.max_length}: it was cut to {field.max_length}."
        )
        value = value[: field.max_length].rstrip()
    return value


def _country_name(code: str, warnings: list[str]) -> str:
    country = pycountry.countries.get(alpha_2=code.upper()) if len(code) == 2 else None
    if country is None:
        warnings.append(f"Country code “{code}” is not a known ISO country code: it was written as it is.")
        return code
    # pycountry's `common_name` is the everyday name ("Taiwan"), where the official one is long.
    return getattr(country, "common_name", None) or country.name


def _country_code(stripe_customer: dict) -> str | None:
    for path in ("address.country", "shipping.address.country"):
        code = stripe_value(stripe_customer, path)
        if code:
            return code.upper()
    return None


def _defaults_payload(defaults: Defaults, stripe_customer: dict, warnings: list[str]) -> dict:
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
    code = _country_code(stripe_customer)
    if code is None:
        fallback = (
            defaults.vat_zone_number if defaults.vat_zone_number is not None else by_country["domestic"]
        )
        warnings.append(
            f"Stripe customer {stripe_customer.get('id')} has no country, so its VAT zone is "
            f"{fallback} ({'your default zone' if fallback == defaults.vat_zone_number else 'domestic'})."
        )
        return fallback
    if code == str(by_country["home_country"]).upper():
        return by_country["domestic"]
    return by_country["eu"] if code in EU_COUNTRIES else by_country["abroad"]


def _fingerprint(update_fields: dict) -> str:
    canonical = json.dumps(update_fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def barred_payload(*, current_customer: dict) -> dict:
    """The whole customer for a PUT that bars it (Stripe deleted it; the policy says bar)."""
    body = {k: v for k, v in current_customer.items() if k not in READ_ONLY_CUSTOMER_FIELDS}
    body["barred"] = True
    return body
