"""The Stripe → e-conomic update of a linked customer, for the fields set to flow both ways.

A field set to "both" is written to e-conomic only when Stripe's side changed it since the last
agreement and e-conomic's did not, or both did and Stripe's change wins the tenant's conflict
rule. Otherwise e-conomic's value stays: it is either already in step, or a bookkeeper's change
that the e-conomic → Stripe read (`from_economic.py`) carries to Stripe by the same rule.
"""

import dataclasses
from dataclasses import dataclass

from mappings.engine import CustomerPlan
from mappings.engine.two_way import economic_side_values, fields_to_flow, value_fingerprint
from mappings.vocabulary import Direction, Side

from ..models import CustomerLink
from .from_economic import conflict_note, economic_time, stripe_changed_at


@dataclass(frozen=True)
class BothWaysUpdate:
    plan: CustomerPlan  # the plan with the fields e-conomic keeps taken out
    agreed: dict[str, str]  # the link's per-field fingerprints after this update
    notes: tuple[dict, ...]  # facts for the record: which side won a field both changed


def both_ways_update(ctx, link: CustomerLink, plan: CustomerPlan, current: dict) -> BothWaysUpdate:
    both = {
        m.economic_field
        for m in ctx.settings.field_mappings
        if m.direction == Direction.BOTH and m.economic_field in plan.update_fields
    }
    economic_values = {f: v for f, v in economic_side_values(ctx.settings, current).items() if f in both}
    if not economic_values:
        return BothWaysUpdate(plan, dict(link.field_fingerprints), ())
    stripe_values = {field: plan.update_fields.get(field) for field in economic_values}
    flows = fields_to_flow(
        settings=ctx.settings,
        stripe_values=stripe_values,
        economic_values=economic_values,
        agreed=link.field_fingerprints,
        stripe_changed_at=stripe_changed_at(tenant=ctx.tenant, stripe_customer_id=ctx.stripe_customer_id),
        economic_changed_at=economic_time(current.get("lastUpdated")),
    )
    to_economic = {flow.economic_field: flow for flow in flows if flow.to == Side.ECONOMIC}
    agreed = dict(link.field_fingerprints)
    for field, value in economic_values.items():
        if field in to_economic:
            agreed[field] = to_economic[field].fingerprint
        elif value_fingerprint(value) == value_fingerprint(stripe_values[field]):
            agreed[field] = value_fingerprint(value)
    kept = {f: v for f, v in plan.update_fields.items() if f not in both or f in to_economic}
    notes = tuple(conflict_note(flow) for flow in to_economic.values() if flow.winner)
    return BothWaysUpdate(dataclasses.replace(plan, update_fields=kept), agreed, notes)
