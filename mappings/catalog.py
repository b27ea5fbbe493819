"""What can be mapped: the Stripe customer fields and the e-conomic customer fields.

Stripe fields are dotted paths into the Stripe customer object; `metadata.<key>` takes any key the
merchant uses. e-conomic fields carry the REST API's name, its type and length (longer text is
refused with a 400, so the engine truncates it with a warning; a fixed-length value that does not
fit is left out with a warning) and whether e-conomic can filter on it, which a match rule needs.
"""

from dataclasses import dataclass

METADATA_PREFIX = "metadata."
# Not a path in the customer object: the CVR number of its Danish EU VAT id, without "DK".
DANISH_CVR_PATH = "tax_ids.dk_cvr"
# Stripe's limit on metadata keys; `[` and `]` would be read as form-encoding brackets.
METADATA_KEY_MAX_LENGTH = 40
COMPOSITE_SEPARATOR = "+"

STRIPE_FIELDS: dict[str, str] = {
    "email": "Email",
    "name": "Name",
    "phone": "Phone",
    "description": "Description",
    "business_name": "Business name",
    "individual_name": "Individual name",
    "id": "Stripe customer id (cus_…)",
    "address.line1": "Billing address, line 1",
    "address.line2": "Billing address, line 2",
    "address.line1+address.line2": "Billing address, lines 1 and 2",
    "address.city": "Billing address, city",
    "address.state": "Billing address, state",
    "address.postal_code": "Billing address, postal code",
    "address.country": "Billing address, country",
    "shipping.name": "Shipping name",
    "shipping.phone": "Shipping phone",
    "shipping.address.line1": "Shipping address, line 1",
    "shipping.address.line2": "Shipping address, line 2",
    "shipping.address.line1+shipping.address.line2": "Shipping address, lines 1 and 2",
    "shipping.address.city": "Shipping address, city",
    "shipping.address.state": "Shipping address, state",
    "shipping.address.postal_code": "Shipping address, postal code",
    "shipping.address.country": "Shipping address, country",
    "tax_ids.0.value": "First tax id (e.g. VAT number)",
    DANISH_CVR_PATH: "CVR number (Danish VAT id without DK)",
}
# Stripe fields that hold ISO 3166-1 alpha-2 codes (written to e-conomic as country names).
STRIPE_COUNTRY_FIELDS = frozenset({"address.country", "shipping.address.country"})


@dataclass(frozen=True)
class EconomicField:
    name: str
    label: str
    kind: str  # "text" | "fixed" (exactly max_length characters) | "integer"
    max_length: int | None
    filterable: bool
    hint: str = ""

    @property
    def type_hint(self) -> str:
        if self.kind == "integer":
            return "whole number"
        if self.kind == "fixed":
            return f"exactly {self.max_length} characters"
        return f"text, up to {self.max_length} characters" if self.max_length else "text"


ECONOMIC_FIELDS: dict[str, EconomicField] = {
    f.name: f
    for f in [
        EconomicField("customerNumber", "Customer number", "integer", None, True),
        EconomicField("name", "Name", "text", 255, True),
        EconomicField("email", "Email", "text", 255, True, "several addresses may be separated by spaces"),
        EconomicField("address", "Address", "text", 510, True),
        EconomicField("city", "City", "text", 50, True),
        EconomicField("zip", "Postal code", "text", 30, True),
        EconomicField("country", "Country", "text", 50, True, "a country name, e.g. Denmark"),
        EconomicField("corporateIdentificationNumber", "CVR number", "text", 40, True),
        EconomicField("telephoneAndFaxNumber", "Phone", "text", 255, True),
        EconomicField("mobilePhone", "Mobile phone", "text", 50, False),
        EconomicField("website", "Website", "text", 255, True),
        EconomicField("publicEntryNumber", "Public entry number", "text", 50, True),
        EconomicField("ean", "EAN (e-invoicing)", "text", 40, True),
        EconomicField("pNumber", "P-number (production unit)", "fixed", 10, False),
        EconomicField(
            "vatNumber", "VAT number", "text", 50, True, "used by agreements in SE, UK, DE, PL and FI"
        ),
    ]
}
# The customer number is set by the number handling, not by a field mapping.
MAPPABLE_ECONOMIC_FIELDS = tuple(name for name in ECONOMIC_FIELDS if name != "customerNumber")
# e-conomic refuses a filter on any other property with a 400, so a match rule may use only these
# (the customers collection's filterable properties, as e-conomic's REST docs list them).
FILTERABLE_ECONOMIC_FIELDS = tuple(name for name, f in ECONOMIC_FIELDS.items() if f.filterable)


def metadata_key_problem(key: str) -> str | None:
    """Why `key` cannot be a Stripe metadata key, or None when it can."""
    if not key.strip():
        return "the metadata key is empty"
    if key != key.strip():
        return f"the metadata key “{key}” starts or ends with a space"
    if len(key) > METADATA_KEY_MAX_LENGTH:
        return f"the metadata key “{key}” is {len(key)} characters; Stripe allows {METADATA_KEY_MAX_LENGTH}"
    if "[" in key or "]" in key:
        return f"the metadata key “{key}” contains [ or ], which Stripe does not allow"
    if not key.isprintable():
        return f"the metadata key {key!r} contains a control character"
    return None


def stripe_field_problem(path: object) -> str | None:
    """Why `path` is not a Stripe customer field we can read, or None when it is."""
    if not isinstance(path, str) or not path:
        return "no Stripe field is given"
    if path.startswith(METADATA_PREFIX):
        return metadata_key_problem(path.removeprefix(METADATA_PREFIX))
    if path not in STRIPE_FIELDS:
        return f"“{path}” is not a Stripe customer field"
    return None


def stripe_field_label(path: str | None) -> str:
    if path is None:
        return "Not mapped"
    if path.startswith(METADATA_PREFIX):
        return f"Metadata “{path.removeprefix(METADATA_PREFIX)}”"
    return STRIPE_FIELDS.get(path, path)


def economic_field_label(name: str) -> str:
    field = ECONOMIC_FIELDS.get(name)
    return field.label if field else name


def in_sentence(label: str) -> str:
    """A label inside a sentence: "Email" → "email"; acronyms ("CVR number") stay as they are."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def stripe_field_words(path: str | None) -> str:
    """A Stripe field as a sentence names it: "email", "billing address, city", "metadata key
    ‘kundenummer’" (single quotes: double ones mark the customer's own values, which retention
    removes)."""
    if path and path.startswith(METADATA_PREFIX):
        return f"metadata key ‘{path.removeprefix(METADATA_PREFIX)}’"
    return in_sentence(stripe_field_label(path))


def economic_field_words(name: str) -> str:
    """An e-conomic field as a sentence names it: "email", "CVR number"."""
    return in_sentence(economic_field_label(name))
