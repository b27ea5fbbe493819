"""The settings document (DESIGN.md "settings document"): the one place that knows its version.

The document is what is stored, exported and imported; `parse` turns a valid one into the frozen
`SyncSettings` the engine reads. `validate_document` names every problem, so an import can list
them all at once and change nothing.
"""

import copy
import json
import re
from collections.abc import Iterator

import pycountry
from django.utils.translation import gettext as _

from .catalog import (
    FILTERABLE_ECONOMIC_FIELDS,
    MAPPABLE_ECONOMIC_FIELDS,
    METADATA_PREFIX,
    metadata_key_problem,
    stripe_field_problem,
)
from .engine import Defaults, FieldMapping, MatchRule, SyncSettings
from .engine.two_way import inversion_problem
from .vocabulary import (
    ConflictRule,
    Direction,
    NumberMode,
    OnAmbiguous,
    OnEmptyValue,
    OnStripeDelete,
    UpdateExisting,
)

# Version 2 adds a direction per field mapping and the sync's conflict rule and read interval; a
# version 1 document is read as every field flowing from Stripe to e-conomic, as it always did.
VERSION = 2
VERSIONS = (1, 2)
VERSION_2_ONLY = {"direction"}
READ_MINUTES_MIN, READ_MINUTES_MAX, READ_MINUTES_DEFAULT = 1, 1440, 5
# e-conomic's numbers (terms, groups, zones, layouts) are whole numbers in this range.
NUMBER_MAX = 999_999_999
# A real document is three levels deep; anything far deeper is not a settings export.
MAX_DEPTH = 8
NUMBER_DEFAULTS = ("payment_terms_number", "customer_group_number", "vat_zone_number", "layout_number")
VAT_ZONE_KEYS = ("domestic", "eu", "abroad")
# What one Stripe account may set for itself ("accounts": {"SE shop": {...}}): its new customers'
# currency, VAT zone, payment terms and layout, and where their number is stored in Stripe.
ACCOUNT_DEFAULTS = ("currency", "vat_zone_number", "payment_terms_number", "layout_number")
ACCOUNT_NAME_MAX = 60
# Which e-conomic list each number default must be found in (keys of economic_lists).
LIST_OF_DEFAULT = {
    "payment_terms_number": "payment_terms",
    "customer_group_number": "customer_groups",
    "vat_zone_number": "vat_zones",
    "layout_number": "layouts",
    "currency": "currencies",
}

_DEFAULT_FIELD_MAPPINGS = [
    ("name", "name"),
    ("email", "email"),
    ("address", "address.line1+address.line2"),
    ("city", "address.city"),
    ("zip", "address.postal_code"),
    ("country", "address.country"),
    ("telephoneAndFaxNumber", "phone"),
]
_DEFAULT = {
    "version": VERSION,
    "matching": {
        "rules": [{"stripe_field": "email", "economic_field": "email"}],
        "on_empty_value": OnEmptyValue.FAIL,
    },
    "customer_number": {
        "mode": NumberMode.ECONOMIC,
        "stripe_field": None,
        "store_in_stripe_field": "metadata.economic_customer_number",
    },
    "defaults": {
        "payment_terms_number": None,
        "customer_group_number": None,
        "vat_zone_number": None,
        "currency": None,
        "layout_number": None,
        "vat_zone_by_country": None,
    },
    "field_mappings": [
        {
            "economic_field": e,
            "stripe_field": s,
            "keep_updated": True,
            "direction": Direction.STRIPE_TO_ECONOMIC,
        }
        for e, s in _DEFAULT_FIELD_MAPPINGS
    ],
    "sync": {
        "update_existing": UpdateExisting.CREATED_BY_US,
        "on_stripe_delete": OnStripeDelete.IGNORE,
        "conflict_rule": ConflictRule.NEWEST_WINS,
        "economic_read_minutes": READ_MINUTES_DEFAULT,
    },
}


def default_document() -> dict:
    """What a tenant has until it saves anything: email ↔ email, pre-mapped fields, no defaults."""
    return copy.deepcopy(_DEFAULT)


class NotADocument(ValueError):
    """The text is not JSON a settings document could be read from; the message says why."""


# No number in a settings document needs more digits; Python refuses to read past 4,300.
MAX_NUMBER_DIGITS = 30


def _whole_number(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise NotADocument(
            _(
                "not a settings export: it holds a number of %(length)s digits "
                "(no setting takes more than %(value)s)"
            )
            % {"length": f"{len(digits.lstrip('-')):,}", "value": MAX_NUMBER_DIGITS}
        )
    return int(digits)


def document_from_json(text: str) -> object:
    """The JSON value of an exported settings file, or NotADocument (never a crash on junk)."""
    try:
        return json.loads(text, parse_int=_whole_number)
    except json.JSONDecodeError as exc:
        raise NotADocument(_("not valid JSON (%(value)s)") % {"value": exc}) from exc
    except RecursionError as exc:
        raise NotADocument(_("not a settings export: it is nested far too deeply")) from exc


def validate_document(doc: object, *, economic_lists: dict | None = None) -> list[str]:
    """Every problem in `doc`, each naming its place; empty when the document is valid.

    With `economic_lists` (see services.economic_lists_for), the default numbers and currency must
    also exist in the merchant's e-conomic agreement.
    """
    if not isinstance(doc, dict):
        return ["The settings document must be a JSON object."]
    if _depth(doc) > MAX_DEPTH:
        return [
            f"The settings document is nested more than {MAX_DEPTH} levels deep: it is not a settings export."
        ]
    problems: list[str] = []
    _unknown_keys(
        doc,
        {"version", "matching", "customer_number", "defaults", "field_mappings", "sync", "accounts"},
        "",
        problems,
    )
    _check_version(doc.get("version"), problems)
    for key, check in (
        ("matching", _check_matching),
        ("customer_number", _check_customer_number),
        ("defaults", _check_defaults),
    ):
        if key not in doc:
            problems.append(_("%(key)s: missing.") % {"key": key})
        else:
            check(doc[key], problems)
    if "field_mappings" not in doc:
        problems.append(_("%(key)s: missing.") % {"key": "field_mappings"})
    else:
        _check_field_mappings(doc["field_mappings"], problems, version=doc.get("version"))
    if "sync" in doc:
        _check_sync(doc["sync"], problems, version=doc.get("version"))
    if "accounts" in doc:
        _check_accounts(doc["accounts"], problems)
    if economic_lists is not None:
        for where, defaults in _all_defaults(doc):
            _check_against_lists(defaults, economic_lists, problems, where)
    return problems


def _check_version(version: object, problems: list[str]) -> None:
    if version is None:
        problems.append(
            _('version: missing (a settings export starts with "version": %(value)s).') % {"value": VERSION}
        )
    elif version not in VERSIONS or isinstance(version, bool):
        problems.append(
            _("version: must be %(first)s or %(last)s (this document says %(version)s).")
            % {"first": VERSIONS[0], "last": VERSIONS[-1], "version": repr(version)}
        )


def _all_defaults(doc: dict) -> Iterator[tuple[str, dict]]:
    """(place, defaults) of the document's defaults and of each account's overrides of them."""
    if isinstance(doc.get("defaults"), dict):
        yield "defaults", doc["defaults"]
    accounts = doc.get("accounts")
    for name, override in accounts.items() if isinstance(accounts, dict) else ():
        if isinstance(override, dict) and isinstance(override.get("defaults"), dict):
            yield f"accounts.{name}.defaults", override["defaults"]


def parse(doc: dict, *, account: str | None = None) -> SyncSettings:
    """The engine's view of a valid document (validate first), for one of the tenant's Stripe
    accounts: with its overrides of the new-customer defaults and of where the number is stored."""
    override = (doc.get("accounts") or {}).get(account) or {} if account else {}
    defaults = {**doc["defaults"], **override.get("defaults", {})}
    number = {**doc["customer_number"], **override.get("customer_number", {})}
    matching = doc["matching"]
    sync = {**_DEFAULT["sync"], **doc.get("sync", {})}
    return SyncSettings(
        match_rules=tuple(MatchRule(r["stripe_field"], r["economic_field"]) for r in matching["rules"]),
        on_empty_value=OnEmptyValue(matching["on_empty_value"]),
        number_mode=NumberMode(number["mode"]),
        number_stripe_field=number.get("stripe_field") if number["mode"] == NumberMode.STRIPE else None,
        store_number_in_stripe_field=number.get("store_in_stripe_field")
        if number["mode"] == NumberMode.ECONOMIC
        else None,
        defaults=Defaults(
            payment_terms_number=defaults.get("payment_terms_number"),
            customer_group_number=defaults.get("customer_group_number"),
            vat_zone_number=defaults.get("vat_zone_number"),
            currency=defaults.get("currency"),
            layout_number=defaults.get("layout_number"),
            vat_zone_by_country=defaults.get("vat_zone_by_country"),
        ),
        field_mappings=tuple(
            FieldMapping(
                m["economic_field"],
                m.get("stripe_field"),
                m.get("keep_updated", True),
                Direction(m.get("direction", Direction.STRIPE_TO_ECONOMIC)),
            )
            for m in doc["field_mappings"]
        ),
        conflict_rule=ConflictRule(sync["conflict_rule"]),
        economic_read_minutes=sync["economic_read_minutes"],
        update_existing=UpdateExisting(sync["update_existing"]),
        on_stripe_delete=OnStripeDelete(sync["on_stripe_delete"]),
        on_ambiguous=OnAmbiguous(matching.get("on_ambiguous", OnAmbiguous.REVIEW)),
    )


def _depth(value: object, level: int = 1) -> int:
    if level > MAX_DEPTH or not isinstance(value, dict | list):
        return level
    children = value.values() if isinstance(value, dict) else value
    return max((_depth(child, level + 1) for child in children), default=level)


def _shown(value: object) -> str:
    """A value as a problem quotes it: short, whatever was put there."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:39] + "…"


def _unknown_keys(section: dict, allowed: set[str], where: str, problems: list[str]) -> None:
    for key in sorted(set(section) - allowed):
        problems.append(
            _("%(where)s%(key)s: unknown key (allowed: %(choices)s).")
            % {"where": where, "key": key, "choices": ", ".join(sorted(allowed))}
        )


def _is_object(value: object, where: str, problems: list[str]) -> bool:
    if not isinstance(value, dict):
        problems.append(_("%(where)s: must be an object.") % {"where": where})
        return False
    return True


def _objects_in(items: list, name: str, problems: list[str]) -> Iterator[tuple[str, dict]]:
    """(place, item) for each item of a list that is an object; the others are named problems."""
    for i, item in enumerate(items):
        where = f"{name}[{i}]"
        if _is_object(item, where, problems):
            yield where, item


def _one_of(value: object, allowed: tuple[str, ...], where: str, problems: list[str]) -> None:
    if value not in allowed:
        problems.append(
            _("%(where)s: “%(value)s” is not one of %(choices)s.")
            % {"where": where, "value": _shown(value), "choices": ", ".join(allowed)}
        )


def _stripe_field(value: object, where: str, problems: list[str]) -> None:
    problem = stripe_field_problem(value)
    if problem:
        problems.append(_("%(where)s: %(problem)s.") % {"where": where, "problem": problem})


def _check_matching(matching: object, problems: list[str]) -> None:
    if not _is_object(matching, "matching", problems):
        return
    _unknown_keys(matching, {"rules", "on_empty_value", "on_ambiguous"}, "matching.", problems)
    _one_of(matching.get("on_empty_value"), tuple(OnEmptyValue), "matching.on_empty_value", problems)
    if "on_ambiguous" in matching:
        _one_of(matching["on_ambiguous"], tuple(OnAmbiguous), "matching.on_ambiguous", problems)
    rules = matching.get("rules")
    if not isinstance(rules, list) or not rules:
        problems.append(
            _("matching.rules: needs at least one rule, or every customer would be created anew.")
        )
        return
    seen = set()
    for where, rule in _objects_in(rules, "matching.rules", problems):
        _unknown_keys(rule, {"stripe_field", "economic_field"}, f"{where}.", problems)
        _stripe_field(rule.get("stripe_field"), f"{where}.stripe_field", problems)
        economic = rule.get("economic_field")
        if economic not in FILTERABLE_ECONOMIC_FIELDS:
            problems.append(
                _(
                    "%(where)s.economic_field: “%(economic)s” cannot be a match field: e-conomic cannot "
                    "filter customers on it (use one of %(choices)s)."
                )
                % {
                    "where": where,
                    "economic": _shown(economic),
                    "choices": ", ".join(FILTERABLE_ECONOMIC_FIELDS),
                }
            )
        pair = _shown(rule.get("stripe_field")), _shown(economic)
        if pair in seen:
            problems.append(_("%(where)s: the same rule appears twice.") % {"where": where})
        seen.add(pair)


def _check_customer_number(number: object, problems: list[str]) -> None:
    if not _is_object(number, "customer_number", problems):
        return
    _unknown_keys(number, {"mode", "stripe_field", "store_in_stripe_field"}, "customer_number.", problems)
    mode = number.get("mode")
    _one_of(mode, tuple(NumberMode), "customer_number.mode", problems)
    stripe_field, store = number.get("stripe_field"), number.get("store_in_stripe_field")
    if mode == NumberMode.STRIPE:
        _stripe_field(stripe_field, "customer_number.stripe_field", problems)
    elif mode == NumberMode.ECONOMIC and stripe_field is not None:
        problems.append(_("customer_number.stripe_field: must be null when e-conomic creates the numbers."))
    _number_store(store, "customer_number", problems)


def _number_store(store: object, where: str, problems: list[str]) -> None:
    if store is None:
        return
    # Writing back goes through Stripe's metadata update, the one customer field we may change.
    if not isinstance(store, str) or not store.startswith(METADATA_PREFIX):
        problems.append(
            _(
                "%(where)s.store_in_stripe_field: “%(store)s” must be a Stripe metadata key "
                "(metadata.<key>) or null."
            )
            % {"where": where, "store": _shown(store)}
        )
    else:
        problem = metadata_key_problem(store.removeprefix(METADATA_PREFIX))
        if problem:
            problems.append(
                _("%(where)s.store_in_stripe_field: %(problem)s.") % {"where": where, "problem": problem}
            )


def _check_defaults(defaults: object, problems: list[str]) -> None:
    if not _is_object(defaults, "defaults", problems):
        return
    _unknown_keys(defaults, {*NUMBER_DEFAULTS, "currency", "vat_zone_by_country"}, "defaults.", problems)
    for key in NUMBER_DEFAULTS:
        _optional_number(defaults.get(key), f"defaults.{key}", problems)
    _currency(defaults.get("currency"), "defaults.currency", problems)
    by_country = defaults.get("vat_zone_by_country")
    if by_country is None:
        return
    where = "defaults.vat_zone_by_country"
    if not _is_object(by_country, where, problems):
        return
    _unknown_keys(by_country, {"home_country", *VAT_ZONE_KEYS}, f"{where}.", problems)
    home = by_country.get("home_country")
    if not (isinstance(home, str) and len(home) == 2 and pycountry.countries.get(alpha_2=home.upper())):
        problems.append(
            _("%(where)s.home_country: “%(home)s” is not a two-letter country code like DK.")
            % {"where": where, "home": _shown(home)}
        )
    for key in VAT_ZONE_KEYS:
        if by_country.get(key) is None:
            problems.append(
                _("%(where)s.%(key)s: missing (a VAT zone number).") % {"where": where, "key": key}
            )
        else:
            _optional_number(by_country[key], f"{where}.{key}", problems)


def _currency(currency: object, where: str, problems: list[str]) -> None:
    if currency is not None and not (isinstance(currency, str) and re.fullmatch(r"[A-Z]{3}", currency)):
        problems.append(
            _("%(where)s: “%(currency)s” is not a three-letter ISO currency code like DKK.")
            % {"where": where, "currency": _shown(currency)}
        )


def _optional_number(value: object, where: str, problems: list[str]) -> None:
    if value is not None and (
        not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= NUMBER_MAX
    ):
        problems.append(
            _("%(where)s: “%(value)s” is not a whole number from 1 to %(most)s.")
            % {"where": where, "value": _shown(value), "most": f"{NUMBER_MAX:,}"}
        )


def _check_field_mappings(mappings: object, problems: list[str], *, version: object = VERSION) -> None:
    if not isinstance(mappings, list):
        problems.append(_("field_mappings: must be a list."))
        return
    seen = set()
    allowed = {"economic_field", "stripe_field", "keep_updated"}
    if version != 1:
        allowed |= VERSION_2_ONLY
    for where, mapping in _objects_in(mappings, "field_mappings", problems):
        _unknown_keys(mapping, allowed, f"{where}.", problems)
        _check_direction(mapping, where, problems)
        economic = mapping.get("economic_field")
        if economic not in MAPPABLE_ECONOMIC_FIELDS:
            problems.append(
                _("%(where)s.economic_field: “%(economic)s” is not an e-conomic customer field we map.")
                % {"where": where, "economic": _shown(economic)}
            )
        elif economic in seen:
            problems.append(
                _("%(where)s.economic_field: “%(economic)s” is mapped twice.")
                % {"where": where, "economic": _shown(economic)}
            )
        else:
            seen.add(economic)
        if mapping.get("stripe_field") is not None:
            _stripe_field(mapping["stripe_field"], f"{where}.stripe_field", problems)
        if not isinstance(mapping.get("keep_updated", True), bool):
            problems.append(_("%(where)s.keep_updated: must be true or false.") % {"where": where})


def _check_direction(mapping: dict, where: str, problems: list[str]) -> None:
    direction = mapping.get("direction", Direction.STRIPE_TO_ECONOMIC)
    _one_of(direction, tuple(Direction), f"{where}.direction", problems)
    if direction == Direction.STRIPE_TO_ECONOMIC or direction not in tuple(Direction):
        return
    if mapping.get("economic_field") not in MAPPABLE_ECONOMIC_FIELDS or stripe_field_problem(
        mapping.get("stripe_field")
    ):
        return  # named above already
    problem = inversion_problem(
        FieldMapping(mapping["economic_field"], mapping["stripe_field"], True, Direction(direction))
    )
    if problem:
        problems.append(
            _("%(where)s.direction: cannot flow from e-conomic to Stripe: %(why)s")
            % {"where": where, "why": problem}
        )


def _check_sync(sync: object, problems: list[str], *, version: object = VERSION) -> None:
    if not _is_object(sync, "sync", problems):
        return
    allowed = {"update_existing", "on_stripe_delete"}
    if version != 1:
        allowed |= {"conflict_rule", "economic_read_minutes"}
    _unknown_keys(sync, allowed, "sync.", problems)
    if "conflict_rule" in sync:
        _one_of(sync["conflict_rule"], tuple(ConflictRule), "sync.conflict_rule", problems)
    minutes = sync.get("economic_read_minutes", READ_MINUTES_DEFAULT)
    if (
        not isinstance(minutes, int)
        or isinstance(minutes, bool)
        or not READ_MINUTES_MIN <= minutes <= READ_MINUTES_MAX
    ):
        problems.append(
            _(
                "sync.economic_read_minutes: “%(value)s” is not a whole number of minutes "
                "from %(low)s to %(high)s."
            )
            % {"value": _shown(minutes), "low": READ_MINUTES_MIN, "high": READ_MINUTES_MAX}
        )
    if "update_existing" in sync:
        _one_of(sync["update_existing"], tuple(UpdateExisting), "sync.update_existing", problems)
    if "on_stripe_delete" in sync:
        _one_of(sync["on_stripe_delete"], tuple(OnStripeDelete), "sync.on_stripe_delete", problems)


def _check_accounts(accounts: object, problems: list[str]) -> None:
    """Per Stripe account (by its name): overrides of some defaults and of the number's place."""
    if not _is_object(accounts, "accounts", problems):
        return
    for name, override in accounts.items():
        where = f"accounts.{_shown(name)}"
        if not (isinstance(name, str) and name.strip() and len(name) <= ACCOUNT_NAME_MAX):
            problems.append(
                _("%(where)s: an account name of 1 to %(value)s characters.")
                % {"where": where, "value": ACCOUNT_NAME_MAX}
            )
        if not _is_object(override, where, problems):
            continue
        _unknown_keys(override, {"defaults", "customer_number"}, f"{where}.", problems)
        defaults = override.get("defaults", {})
        if _is_object(defaults, f"{where}.defaults", problems):
            _unknown_keys(defaults, set(ACCOUNT_DEFAULTS), f"{where}.defaults.", problems)
            for key in ACCOUNT_DEFAULTS:
                if key == "currency":
                    _currency(defaults.get(key), f"{where}.defaults.currency", problems)
                else:
                    _optional_number(defaults.get(key), f"{where}.defaults.{key}", problems)
        number = override.get("customer_number", {})
        if _is_object(number, f"{where}.customer_number", problems):
            _unknown_keys(number, {"store_in_stripe_field"}, f"{where}.customer_number.", problems)
            _number_store(number.get("store_in_stripe_field"), f"{where}.customer_number", problems)


def _check_against_lists(defaults: dict, lists: dict, problems: list[str], where: str = "defaults") -> None:
    wanted = [(key, defaults.get(key)) for key in LIST_OF_DEFAULT]
    by_country = defaults.get("vat_zone_by_country")
    if isinstance(by_country, dict):
        wanted += [(f"vat_zone_by_country.{k}", by_country.get(k)) for k in VAT_ZONE_KEYS]
    for key, value in wanted:
        if value is None:
            continue
        list_name = LIST_OF_DEFAULT.get(key, "vat_zones")
        known = {item["value"] for item in lists.get(list_name, [])}
        if value not in known:
            problems.append(
                _("%(where)s.%(key)s: %(value)s is not in your e-conomic %(list)s (%(found)s).")
                % {
                    "where": where,
                    "key": key,
                    "value": value,
                    "list": list_name.replace("_", " "),
                    "found": ", ".join(str(v) for v in sorted(known, key=str)) or "none found",
                }
            )
