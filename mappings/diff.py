"""A before/after comparison of two settings documents, in words a merchant can scan: the labels
of the tabs, and e-conomic's list entries named beside their numbers."""

from .catalog import economic_field_label, in_sentence, stripe_field_label
from .vocabulary import NumberMode, OnAmbiguous, OnEmptyValue, OnStripeDelete, UpdateExisting
from .wording import DEFAULT_LABELS, list_entry

_ON_EMPTY = {OnEmptyValue.FAIL: "fail", OnEmptyValue.NEXT_RULE: "try the next rule"}
_ON_AMBIGUOUS = {OnAmbiguous.REVIEW: "wait in the review queue", OnAmbiguous.FAIL: "fail"}
_NUMBER_MODE = {NumberMode.ECONOMIC: "e-conomic creates it", NumberMode.STRIPE: "taken from a Stripe field"}
_SYNC = {
    "update_existing": (
        "Update existing e-conomic customers",
        {
            UpdateExisting.NEVER: "never",
            UpdateExisting.CREATED_BY_US: "only those created from Stripe",
            UpdateExisting.ALWAYS: "always",
        },
    ),
    "on_stripe_delete": (
        "When a customer is deleted in Stripe",
        {OnStripeDelete.IGNORE: "keep the e-conomic customer", OnStripeDelete.BAR: "bar it in e-conomic"},
    ),
}
_VAT_ZONES = {"domestic": "in the home country", "eu": "in the EU", "abroad": "outside the EU"}
NOT_SET = "—"


def document_diff(before: dict, after: dict, *, lists: dict | None = None) -> list[tuple[str, str, str]]:
    """(what, before, after) for every setting whose words differ (a key that only appeared with
    an empty value is no change)."""
    old, new = _flatten(before, lists), _flatten(after, lists)
    return [
        (key, old.get(key, NOT_SET), new.get(key, NOT_SET))
        for key in dict.fromkeys([*old, *new])
        if old.get(key, NOT_SET) != new.get(key, NOT_SET)
    ]


def _flatten(document: dict, lists: dict | None) -> dict[str, str]:
    flat: dict[str, str] = {}
    matching = document.get("matching", {})
    flat["Match rules"] = "; ".join(
        f"{stripe_field_label(r['stripe_field'])} ↔ {economic_field_label(r['economic_field'])}"
        for r in matching.get("rules", [])
    )
    flat["When a match value is empty"] = _ON_EMPTY.get(matching.get("on_empty_value"), NOT_SET)
    # Absent means the default: a document that gains the key with its default value has not changed.
    on_ambiguous = matching.get("on_ambiguous") or OnAmbiguous.REVIEW
    flat["When several e-conomic customers match"] = _ON_AMBIGUOUS.get(on_ambiguous, NOT_SET)
    flat.update(_number(document.get("customer_number", {})))
    flat.update(_defaults(document.get("defaults", {}), lists))
    for mapping in document.get("field_mappings", []):
        how = "keep updated" if mapping.get("keep_updated", True) else "set on create only"
        flat[f"Field {economic_field_label(mapping['economic_field'])}"] = (
            f"{stripe_field_label(mapping.get('stripe_field'))} ({how})"
        )
    for key, value in document.get("sync", {}).items():
        label, words = _SYNC.get(key, (key.replace("_", " ").capitalize(), {}))
        flat[label] = words.get(value, _text(value))
    return flat


def _number(section: dict) -> dict[str, str]:
    store = section.get("store_in_stripe_field")
    return {
        "Customer numbers": _NUMBER_MODE.get(section.get("mode"), NOT_SET),
        "Customer number from Stripe": stripe_field_label(section["stripe_field"])
        if section.get("stripe_field")
        else NOT_SET,
        "Store the generated number in Stripe": stripe_field_label(store) if store else "nowhere",
    }


def _defaults(section: dict, lists: dict | None) -> dict[str, str]:
    flat = {}
    for key, (label, list_name) in DEFAULT_LABELS.items():
        value = section.get(key)
        shown = NOT_SET if value is None else list_entry(list_name, value, lists)
        flat[f"Default {in_sentence(label)}"] = shown
    by_country = section.get("vat_zone_by_country")
    if isinstance(by_country, dict):
        flat["VAT zone by country: home country"] = _text(by_country.get("home_country"))
        for zone, where in _VAT_ZONES.items():
            flat[f"VAT zone for customers {where}"] = list_entry("vat_zones", by_country.get(zone), lists)
    return flat


def _text(value: object) -> str:
    return NOT_SET if value is None or value == "" else str(value)
