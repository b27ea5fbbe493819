"""Both directions, per field: which mappings can flow from e-conomic to Stripe, what such a value
becomes in Stripe, and which way each field flows when one or both sides changed it.

Pure like `planning`: the Stripe → e-conomic sync (for fields set to "both") and the e-conomic →
Stripe read both call `fields_to_flow`, so the two directions can never disagree on a field.
Values are compared in e-conomic's terms (a Stripe country code as its name, cut to e-conomic's
length), by a fingerprint of each value: the link keeps, per field, the fingerprint of the value
both sides last agreed on (the one we wrote, in either direction), so our own write coming back
is recognised as no change at all.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime

import pycountry
from django.utils.translation import gettext as _

from ..catalog import (
    COMPOSITE_SEPARATOR,
    DANISH_CVR_PATH,
    METADATA_PREFIX,
    STRIPE_COUNTRY_FIELDS,
    economic_field_label,
    economic_field_words,
    stripe_field_label,
    stripe_field_words,
)
from ..vocabulary import ConflictRule, Direction, Side
from .notes import Note
from .payloads import economic_value
from .stripe_paths import stripe_value
from .types import FieldMapping, SyncSettings

# Stripe customer fields its customer update sets one by one (metadata keys too).
STRIPE_FIELDS_SETTABLE = frozenset(
    {
        "email",
        "name",
        "phone",
        "description",
        "address.line1",
        "address.line2",
        "address.city",
        "address.state",
        "address.postal_code",
        "address.country",
    }
)


def inversion_problem(mapping: FieldMapping) -> str | None:
    """Why this mapping cannot flow from e-conomic to Stripe, in the merchant's words; None if it can."""
    path = mapping.stripe_field
    economic = economic_field_words(mapping.economic_field)
    if path is None:
        return _("It is not mapped to a Stripe field.")
    if path.startswith(METADATA_PREFIX) or path in STRIPE_FIELDS_SETTABLE:
        return None
    if COMPOSITE_SEPARATOR in path:
        return _(
            "e-conomic keeps the %(economic)s as one text, made here from several Stripe fields "
            "(%(stripe)s): it cannot be split back into them. Map it from one field to let it flow to Stripe."
        ) % {"economic": economic, "stripe": stripe_field_words(path)}
    if path == DANISH_CVR_PATH or path.startswith("tax_ids."):
        return _("Stripe keeps tax ids as objects of their own, which a customer update cannot change.")
    if path.startswith("shipping."):
        return _("Stripe changes a shipping address only as a whole, with its name and every line.")
    return _("Stripe does not let us change its %(stripe)s.") % {"stripe": stripe_field_words(path)}


def directions_offered(mapping: FieldMapping) -> tuple[Direction, ...]:
    """The directions the Field mappings tab offers for this mapping."""
    if inversion_problem(mapping) is None:
        return tuple(Direction)
    return (Direction.STRIPE_TO_ECONOMIC,)


def value_fingerprint(value: str | None) -> str:
    """A short hash of one field's value in e-conomic's terms ("" for none): what the link keeps."""
    return hashlib.sha256((value or "").encode()).hexdigest()[:16]


def _two_way_mappings(settings: SyncSettings) -> list[FieldMapping]:
    return [m for m in settings.field_mappings if m.stripe_field and m.to_stripe and not inversion_problem(m)]


def stripe_side_values(settings: SyncSettings, stripe_customer: dict) -> dict[str, str | None]:
    """Stripe's values of the fields that may flow to Stripe, as e-conomic would hold them."""
    return {
        m.economic_field: economic_value(m, stripe_value(stripe_customer, m.stripe_field), [])
        for m in _two_way_mappings(settings)
    }


def economic_side_values(settings: SyncSettings, economic_customer: dict) -> dict[str, str | None]:
    """e-conomic's values of the fields that may flow to Stripe (trimmed; empty is None)."""
    values = {}
    for m in _two_way_mappings(settings):
        raw = economic_customer.get(m.economic_field)
        values[m.economic_field] = str(raw).strip() or None if raw is not None else None
    return values


def agreed_fingerprints(settings: SyncSettings, economic_customer: dict) -> dict[str, str]:
    """Per field that may flow to Stripe, the fingerprint of e-conomic's value: what both sides
    agree on right after the sync created the customer from Stripe's values."""
    return {f: value_fingerprint(v) for f, v in economic_side_values(settings, economic_customer).items()}


@dataclass(frozen=True)
class FieldFlow:
    """Which way one field flows in this sync, and, when both sides changed it, who won."""

    economic_field: str
    to: Side  # the side that is written
    value: str  # in e-conomic's terms
    winner: Side | None = None  # set only when both sides changed the field
    other_value: str | None = None  # the losing side's value, for the log

    @property
    def fingerprint(self) -> str:
        return value_fingerprint(self.value)


def fields_to_flow(
    *,
    settings: SyncSettings,
    stripe_values: dict[str, str | None],
    economic_values: dict[str, str | None],
    agreed: dict[str, str],
    stripe_changed_at: datetime | None,
    economic_changed_at: datetime | None,
) -> tuple[FieldFlow, ...]:
    """For every field that may flow to Stripe, whether it flows and which way.

    A side "changed" a field when its value's fingerprint is not the one both sides last agreed on
    (`agreed`; a field never agreed counts as changed on both sides). An empty source value is
    never written over the other side (as the Stripe → e-conomic sync does). When both changed a
    field set to "both" and both hold a value, the tenant's conflict rule picks the winner; under
    "newest wins" the later change wins, and a tie (or an unknown time) goes to e-conomic, where a
    person typed it.
    """
    flows = []
    by_field = {m.economic_field: m for m in _two_way_mappings(settings)}
    for field, mapping in by_field.items():
        stripe, economic = stripe_values.get(field), economic_values.get(field)
        if value_fingerprint(stripe) == value_fingerprint(economic):
            continue
        last = agreed.get(field)
        stripe_changed = last is None or value_fingerprint(stripe) != last
        economic_changed = last is None or value_fingerprint(economic) != last
        if mapping.direction == Direction.ECONOMIC_TO_STRIPE:
            if economic_changed and economic is not None:
                flows.append(FieldFlow(field, Side.STRIPE, economic))
            continue
        # An empty side has nothing to defend (and would never be written over the other): only
        # two values make a conflict, else the side with the value flows as a plain change.
        if stripe_changed and economic_changed and stripe and economic:
            winner = _winner(settings.conflict_rule, stripe_changed_at, economic_changed_at)
            value, other = (stripe, economic) if winner == Side.STRIPE else (economic, stripe)
            loser = Side.ECONOMIC if winner == Side.STRIPE else Side.STRIPE
            flows.append(FieldFlow(field, loser, value, winner=winner, other_value=other))
        elif economic_changed and economic:
            flows.append(FieldFlow(field, Side.STRIPE, economic))
        elif stripe_changed and stripe:
            flows.append(FieldFlow(field, Side.ECONOMIC, stripe))
    return tuple(flows)


def _winner(rule: ConflictRule, stripe_at: datetime | None, economic_at: datetime | None) -> Side:
    if rule == ConflictRule.STRIPE_WINS:
        return Side.STRIPE
    if rule == ConflictRule.ECONOMIC_WINS:
        return Side.ECONOMIC
    if stripe_at is not None and (economic_at is None or stripe_at > economic_at):
        return Side.STRIPE
    return Side.ECONOMIC


@dataclass(frozen=True)
class FieldSides:
    """One mapped field's value on each side (in e-conomic's terms) and its direction: a row of the
    preview's "both directions" table."""

    economic_field: str
    stripe_field: str
    direction: Direction
    stripe_value: str | None
    economic_value: str | None

    @property
    def in_step(self) -> bool:
        return value_fingerprint(self.stripe_value) == value_fingerprint(self.economic_value)

    @property
    def economic_label(self) -> str:
        return economic_field_label(self.economic_field)

    @property
    def stripe_label(self) -> str:
        return stripe_field_label(self.stripe_field)


def field_sides(
    settings: SyncSettings, stripe_customer: dict, economic_customer: dict | None
) -> tuple[FieldSides, ...]:
    """Every mapped field with Stripe's and e-conomic's value (None without an e-conomic customer)."""
    rows = []
    for m in settings.field_mappings:
        if not m.stripe_field:
            continue
        raw = (economic_customer or {}).get(m.economic_field)
        rows.append(
            FieldSides(
                m.economic_field,
                m.stripe_field,
                m.direction,
                economic_value(m, stripe_value(stripe_customer, m.stripe_field), []),
                str(raw).strip() or None if raw is not None else None,
            )
        )
    return tuple(rows)


@dataclass(frozen=True)
class StripeUpdate:
    params: dict  # the customer update's parameters (address and metadata as nested objects)
    fields: tuple[str, ...]  # the e-conomic fields it carries
    warnings: tuple[Note, ...]


def stripe_update(settings: SyncSettings, flows: tuple[FieldFlow, ...]) -> StripeUpdate:
    """The Stripe customer update that writes the flows going to Stripe."""
    by_field = {m.economic_field: m for m in settings.field_mappings}
    params: dict = {}
    fields, warnings = [], []
    for flow in flows:
        if flow.to != Side.STRIPE:
            continue
        path = by_field[flow.economic_field].stripe_field
        value = flow.value
        if path in STRIPE_COUNTRY_FIELDS:
            value = _country_code(value)
            if value is None:
                warnings.append(Note("country_not_for_stripe", value=flow.value))
                continue
        if path.startswith(METADATA_PREFIX):
            params.setdefault("metadata", {})[path.removeprefix(METADATA_PREFIX)] = value
        elif path.startswith("address."):
            params.setdefault("address", {})[path.removeprefix("address.")] = value
        else:
            params[path] = value
        fields.append(flow.economic_field)
    return StripeUpdate(params=params, fields=tuple(fields), warnings=tuple(warnings))


def _country_code(name: str) -> str | None:
    try:
        return pycountry.countries.lookup(name).alpha_2
    except LookupError:
        return None
