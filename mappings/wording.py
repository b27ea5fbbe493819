"""What the merchant reads instead of codes: a payload sent to e-conomic as labelled rows, and the
name of an e-conomic list entry beside its number ("3 · Netto 30 dage")."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .catalog import ECONOMIC_FIELDS

# The payload's references to e-conomic's lists: key → (label, number key, list name).
LIST_REFERENCES = {
    "paymentTerms": (gettext_lazy("Payment terms"), "paymentTermsNumber", "payment_terms"),
    "customerGroup": (gettext_lazy("Customer group"), "customerGroupNumber", "customer_groups"),
    "vatZone": (gettext_lazy("VAT zone"), "vatZoneNumber", "vat_zones"),
    "layout": (gettext_lazy("Invoice layout"), "layoutNumber", "layouts"),
}
# The defaults section's keys, under the labels of the Customer default mappings tab.
DEFAULT_LABELS = {
    "payment_terms_number": (gettext_lazy("Payment terms"), "payment_terms"),
    "customer_group_number": (gettext_lazy("Customer group"), "customer_groups"),
    "vat_zone_number": (gettext_lazy("VAT zone"), "vat_zones"),
    "currency": (gettext_lazy("Currency"), "currencies"),
    "layout_number": (gettext_lazy("Invoice layout"), "layouts"),
}
OTHER_PAYLOAD_LABELS = {
    "currency": gettext_lazy("Currency"),
    "barred": gettext_lazy("Barred"),
    "customerNumber": gettext_lazy("Customer number"),
}


def list_entry(list_name: str, value: object, lists: dict | None) -> str:
    """An entry of an e-conomic list as "3 · Netto 30 dage"; the bare value when the list is unknown."""
    if value is None:
        return _("not set")
    for item in (lists or {}).get(list_name, []):
        if item["value"] == value:
            return item["label"]
    return str(value)


def payload_rows(payload: dict | None, *, lists: dict | None = None) -> list[tuple[str, str]]:
    """(label, value) for each property of a customer payload, in the labels of the tabs."""
    rows = []
    for key, value in (payload or {}).items():
        if key in LIST_REFERENCES and isinstance(value, dict):
            label, number_key, list_name = LIST_REFERENCES[key]
            rows.append((label, list_entry(list_name, value.get(number_key), lists)))
        elif key == "currency":
            rows.append((_("Currency"), list_entry("currencies", value, lists)))
        elif key in ECONOMIC_FIELDS:
            rows.append((ECONOMIC_FIELDS[key].label, _text(value)))
        else:
            rows.append((OTHER_PAYLOAD_LABELS.get(key, key), _text(value)))
    return rows


def _text(value: object) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_text(v)}" for k, v in value.items())
    return str(value)


def default_words(labels: list[str]) -> list[str]:
    """The engine's names of missing defaults ("Payment terms") in the reader's language: the same
    words the Customer default mappings tab marks for translation above."""
    return [_(label) for label in labels]
