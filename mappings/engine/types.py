"""The engine's frozen types: the parsed settings, one planned sync, one match query."""

from dataclasses import dataclass

from ..catalog import economic_field_words
from ..vocabulary import (
    ConflictRule,
    Direction,
    NumberMode,
    OnAmbiguous,
    OnEmptyValue,
    OnStripeDelete,
    UpdateExisting,
)
from .notes import Note

# What e-conomic needs to create a customer besides its name, by the labels of the defaults tab.
REQUIRED_DEFAULTS = ("Payment terms", "Customer group", "Currency", "VAT zone")


@dataclass(frozen=True)
class MatchRule:
    stripe_field: str
    economic_field: str


@dataclass(frozen=True)
class FieldMapping:
    economic_field: str
    stripe_field: str | None
    keep_updated: bool  # False = set on create only
    direction: Direction = Direction.STRIPE_TO_ECONOMIC

    @property
    def to_economic(self) -> bool:
        return self.direction != Direction.ECONOMIC_TO_STRIPE

    @property
    def to_stripe(self) -> bool:
        return self.direction != Direction.STRIPE_TO_ECONOMIC


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
    on_empty_value: OnEmptyValue
    number_mode: NumberMode
    number_stripe_field: str | None
    store_number_in_stripe_field: str | None
    defaults: Defaults
    field_mappings: tuple[FieldMapping, ...]
    update_existing: UpdateExisting
    on_stripe_delete: OnStripeDelete
    on_ambiguous: OnAmbiguous = OnAmbiguous.REVIEW
    conflict_rule: ConflictRule = ConflictRule.NEWEST_WINS
    # How often e-conomic is read for customers changed since the last read (fields flowing to Stripe).
    economic_read_minutes: int = 5

    @property
    def reads_economic(self) -> bool:
        """Whether any mapped field flows from e-conomic to Stripe (else nothing is read)."""
        return any(m.to_stripe and m.stripe_field for m in self.field_mappings)

    @property
    def missing_defaults(self) -> list[str]:
        """The defaults e-conomic requires to create a customer that are not set, by their labels
        on the Customer default mappings tab (the name comes from Stripe)."""
        d = self.defaults
        present = {
            "Payment terms": d.payment_terms_number is not None,
            "Customer group": d.customer_group_number is not None,
            "Currency": bool(d.currency),
            "VAT zone": d.vat_zone_number is not None or d.vat_zone_by_country is not None,
        }
        return [label for label in REQUIRED_DEFAULTS if not present[label]]

    @property
    def defaults_complete(self) -> bool:
        return not self.missing_defaults


@dataclass(frozen=True)
class MatchQuery:
    rule_number: int
    stripe_field: str
    economic_field: str
    value: str
    filter: str

    @property
    def economic_words(self) -> str:
        """The e-conomic field as the sync log's sentences name it ("email", "CVR number")."""
        return economic_field_words(self.economic_field)


@dataclass(frozen=True)
class CustomerPlan:
    match_queries: tuple[MatchQuery, ...]
    # Notes (`notes.py`): each reads as its sentence and keeps its code and values for the record.
    blocking_error: Note | None
    create_payload: dict
    update_fields: dict
    fingerprint: str
    customer_number: int | None
    warnings: tuple[Note, ...]
    # Only true of a customer created from this plan (the VAT zone it gets, a name made up).
    create_warnings: tuple[Note, ...] = ()
