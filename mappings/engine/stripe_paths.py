"""Reading a Stripe customer by the dotted field paths the settings name."""

from ..catalog import COMPOSITE_SEPARATOR, DANISH_CVR_PATH, METADATA_PREFIX


def stripe_value(stripe_customer: dict, path: str) -> str | None:
    """The trimmed text at a dotted path, or None when it is missing, null or only whitespace.

    `metadata.<key>` reads the key whole (keys may contain dots); a number in the path indexes a
    list, or the `data` list of an expanded Stripe list object (`tax_ids.0.value`). A composite
    `a+b` joins the non-empty parts with ", ".
    """
    if path == DANISH_CVR_PATH:
        return danish_cvr(stripe_customer)
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
    # ASCII digits only, and few of them: "²" and 5,000-digit strings are not indexes int() takes.
    index = int(part) if part.isascii() and part.isdigit() and len(part) < 5 else None
    if isinstance(value, list) and index is not None and index < len(value):
        return value[index]
    return None


def country_code(stripe_customer: dict) -> str | None:
    """The billing country, else the shipping country, upper-cased."""
    for path in ("address.country", "shipping.address.country"):
        code = stripe_value(stripe_customer, path)
        if code:
            return code.upper()
    return None


def danish_cvr(stripe_customer: dict) -> str | None:
    """The CVR number in the customer's Danish EU VAT id ("DK 12 34 56 78" → "12345678"): e-conomic
    keeps the CVR number without the country prefix. None without a Danish VAT id."""
    tax_ids = stripe_customer.get("tax_ids") or []
    if isinstance(tax_ids, dict):
        tax_ids = tax_ids.get("data") or []
    for tax_id in tax_ids:
        if not isinstance(tax_id, dict) or tax_id.get("type") != "eu_vat":
            continue
        value = "".join(str(tax_id.get("value") or "").split()).upper()
        if value.startswith("DK") and len(value) > 2:
            return value[2:]
    return None
