"""The engine's frozen types: the parsed settings, one planned sync, one match query."""

from dataclasses import dataclass

from ..vocabulary import NumberMode, OnAmbiguous, OnEmptyValue, OnStripeDelete, UpdateExisting


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
    on_empty_value: OnEmptyValue
    number_mode: NumberMode
    number_stripe_field: str | None
    store_number_in_stripe_field: str | None
    defaults: Defaults
    field_mappings: tuple[FieldMapping, ...]
    update_existing: UpdateExisting
    on_stripe_delete: OnStripeDelete
    on_ambiguous: OnAmbiguous = OnAmbiguous.REVIEW

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
