"""What can be mapped: the Stripe customer fields and the e-conomic customer fields.

Stripe fields are dotted paths into the Stripe customer object; `metadata.<key>` takes any key the
merchant uses. e-conomic fields carry the REST API's name, its type and length (longer text is
refused with a 400, so the engine truncates it with a warning; a fixed-length value that does not
fit is left out with a warning) and whether e-conomic can filter on it, which a match rule needs.
"""

import re
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

METADATA_PREFIX = "metadata."
# Not a path in the customer object: the CVR number of its Danish EU VAT id, without "DK".
DANISH_CVR_PATH = "tax_ids.dk_cvr"
# Stripe's limit on metadata keys; `[` and `]` would be read as form-encoding brackets.
METADATA_KEY_MAX_LENGTH = 40
COMPOSITE_SEPARATOR = "+"

# Stripe's own field names stay as Stripe's Dashboard shows them (in English, whatever the reader's
# language); only the labels we made up for our own choices are translated.
STRIPE_FIELDS: dict[str, str | Promise] = {
    "email": "Email",
    "name": "Name",
    "phone": "Phone",
    "description": "Description",
    "business_name": "Business name",
    "individual_name": "Individual name",
    "id": gettext_lazy("Stripe customer id (cus_…)"),
    "address.line1": "Billing address, line 1",
    "address.line2": "Billing address, line 2",
    "address.line1+address.line2": gettext_lazy("Billing address, lines 1 and 2"),
    "address.city": "Billing address, city",
    "address.state": "Billing address, state",
    "address.postal_code": "Billing address, postal code",
    "address.country": "Billing address, country",
    "shipping.name": "Shipping name",
    "shipping.phone": "Shipping phone",
    "shipping.address.line1": "Shipping address, line 1",
    "shipping.address.line2": "Shipping address, line 2",
    "shipping.address.line1+shipping.address.line2": gettext_lazy("Shipping address, lines 1 and 2"),
    "shipping.address.city": "Shipping address, city",
    "shipping.address.state": "Shipping address, state",
    "shipping.address.postal_code": "Shipping address, postal code",
    "shipping.address.country": "Shipping address, country",
    "tax_ids.0.value": gettext_lazy("First tax id (e.g. VAT number)"),
    DANISH_CVR_PATH: gettext_lazy("CVR number (Danish VAT id without DK)"),
}
# Stripe fields that hold ISO 3166-1 alpha-2 codes (written to e-conomic as country names).
STRIPE_COUNTRY_FIELDS = frozenset({"address.country", "shipping.address.country"})


@dataclass(frozen=True)
class EconomicField:
    name: str
    label: str | Promise
    kind: str  # "text" | "fixed" (exactly max_length characters) | "integer"
    max_length: int | None
    filterable: bool
    hint: str | Promise = ""

    @property
    def type_hint(self) -> str:
        if self.kind == "integer":
            return _("whole number")
        if self.kind == "fixed":
            return _("exactly %(length)d characters") % {"length": self.max_length}
        return (
            _("text, up to %(length)d characters") % {"length": self.max_length}
            if self.max_length
            else _("text")
        )


ECONOMIC_FIELDS: dict[str, EconomicField] = {
    f.name: f
    for f in [
        EconomicField("customerNumber", gettext_lazy("Customer number"), "integer", None, True),
        EconomicField("name", gettext_lazy("Name"), "text", 255, True),
        EconomicField(
            "email",
            gettext_lazy("Email"),
            "text",
            255,
            True,
            gettext_lazy("several addresses may be separated by spaces"),
        ),
        EconomicField("address", gettext_lazy("Address"), "text", 510, True),
        EconomicField("city", gettext_lazy("City"), "text", 50, True),
        EconomicField("zip", gettext_lazy("Postal code"), "text", 30, True),
        EconomicField(
            "country", gettext_lazy("Country"), "text", 50, True, gettext_lazy("a country name, e.g. Denmark")
        ),
        EconomicField("corporateIdentificationNumber", gettext_lazy("CVR number"), "text", 40, True),
        EconomicField("telephoneAndFaxNumber", gettext_lazy("Phone"), "text", 255, True),
        EconomicField("mobilePhone", gettext_lazy("Mobile phone"), "text", 50, False),
        EconomicField("website", gettext_lazy("Website"), "text", 255, True),
        EconomicField("publicEntryNumber", gettext_lazy("Public entry number"), "text", 50, True),
        EconomicField("ean", gettext_lazy("EAN (e-invoicing)"), "text", 40, True),
        EconomicField("pNumber", gettext_lazy("P-number (production unit)"), "fixed", 10, False),
        EconomicField(
            "vatNumber",
            gettext_lazy("VAT number"),
            "text",
            50,
            True,
            gettext_lazy("used by agreements in SE, UK, DE, PL and FI"),
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
        return _("the metadata key is empty")
    if key != key.strip():
        return _("the metadata key “%(key)s” starts or ends with a space") % {"key": key}
    if len(key) > METADATA_KEY_MAX_LENGTH:
        return _("the metadata key “%(key)s” is %(length)d characters; Stripe allows %(most)d") % {
            "key": key,
            "length": len(key),
            "most": METADATA_KEY_MAX_LENGTH,
        }
    if "[" in key or "]" in key:
        return _("the metadata key “%(key)s” contains [ or ], which Stripe does not allow") % {"key": key}
    if not key.isprintable():
        return _("the metadata key %(key)s contains a control character") % {"key": repr(key)}
    return None


def stripe_field_problem(path: object) -> str | None:
    """Why `path` is not a Stripe customer field we can read, or None when it is."""
    if not isinstance(path, str) or not path:
        return _("no Stripe field is given")
    if path.startswith(METADATA_PREFIX):
        return metadata_key_problem(path.removeprefix(METADATA_PREFIX))
    if path not in STRIPE_FIELDS:
        return _("“%(path)s” is not a Stripe customer field") % {"path": path}
    return None


def stripe_field_label(path: str | None) -> str:
    if path is None:
        return _("Not mapped")
    if path.startswith(METADATA_PREFIX):
        return _("Metadata “%(key)s”") % {"key": path.removeprefix(METADATA_PREFIX)}
    return str(STRIPE_FIELDS.get(path, path))


def economic_field_label(name: str) -> str:
    field = ECONOMIC_FIELDS.get(name)
    return str(field.label) if field else name


def in_sentence(label: str) -> str:
    """A label inside a sentence: "Email" → "email", "E-mail" → "e-mail"; acronyms and Danish
    abbreviations ("CVR number", "CVR-nr.", "P-nr.") stay as they are."""
    label = str(label)
    if (label[:2].isalpha() and label[:2].isupper()) or re.match(r"^[A-Z]-nr\.", label):
        return label
    return label[:1].lower() + label[1:]


def stripe_field_words(path: str | None) -> str:
    """A Stripe field as a sentence names it: "email", "billing address, city", "metadata key
    ‘kundenummer’" (single quotes: double ones mark the customer's own values, which retention
    removes)."""
    if path and path.startswith(METADATA_PREFIX):
        return _("metadata key ‘%(key)s’") % {"key": path.removeprefix(METADATA_PREFIX)}
    return in_sentence(stripe_field_label(path))


def economic_field_words(name: str) -> str:
    """An e-conomic field as a sentence names it: "email", "CVR number"."""
    return in_sentence(economic_field_label(name))
