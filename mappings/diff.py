"""A before/after comparison of two settings documents, in words a merchant can scan."""

from .catalog import economic_field_label, stripe_field_label
from .vocabulary import OnEmptyValue

_ON_EMPTY = {OnEmptyValue.FAIL: "fail", OnEmptyValue.NEXT_RULE: "try the next rule"}


def document_diff(before: dict, after: dict) -> list[tuple[str, str, str]]:
    """(what, before, after) for every setting that differs."""
    old, new = _flatten(before), _flatten(after)
    return [
        (key, old.get(key, "—"), new.get(key, "—"))
        for key in dict.fromkeys([*old, *new])
        if old.get(key) != new.get(key)
    ]


def _flatten(document: dict) -> dict[str, str]:
    flat: dict[str, str] = {}
    matching = document.get("matching", {})
    flat["Match rules"] = "; ".join(
        f"{stripe_field_label(r['stripe_field'])} ↔ {economic_field_label(r['economic_field'])}"
        for r in matching.get("rules", [])
    )
    flat["When a match value is empty"] = _ON_EMPTY.get(matching.get("on_empty_value"), "—")
    for key, value in document.get("customer_number", {}).items():
        flat[f"Customer number: {key.replace('_', ' ')}"] = _text(value)
    defaults = document.get("defaults", {})
    for key, value in defaults.items():
        if key == "vat_zone_by_country" and isinstance(value, dict):
            for zone, number in value.items():
                flat[f"VAT zone by country: {zone.replace('_', ' ')}"] = _text(number)
        else:
            flat[f"Default {key.replace('_', ' ')}"] = _text(value)
    for mapping in document.get("field_mappings", []):
        how = "keep updated" if mapping.get("keep_updated", True) else "set on create only"
        flat[f"Field {economic_field_label(mapping['economic_field'])}"] = (
            f"{stripe_field_label(mapping.get('stripe_field'))} ({how})"
        )
    for key, value in document.get("sync", {}).items():
        flat[f"Sync: {key.replace('_', ' ')}"] = _text(value)
    return flat


def _text(value: object) -> str:
    return "—" if value is None else str(value)
