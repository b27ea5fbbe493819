"""Settings checked against the merchant's own data before they are saved: a field the match rules
or the number handling read that most of their recent Stripe customers leave empty (or fill with
something unusable) would save fine and then fail customer after customer.

A sample of the newest Stripe customers is read; a field empty or unusable on more than half of
them gives a warning with the counts. Stripe not answering is no warning: the save goes on.
"""

from dataclasses import dataclass
from itertools import islice

from django.core.cache import cache

from syncapp.clients.stripe import StripeError
from syncapp.connections.clients import NotConnected, stripe_client_for
from syncapp.connections.common import Service
from syncapp.connections.selectors import connection_for
from syncapp.models import Tenant

from .catalog import ECONOMIC_FIELDS, stripe_field_words
from .engine import stripe_value
from .engine.planning import is_customer_number
from .vocabulary import NumberMode, OnEmptyValue

SAMPLE_SIZE = 20
# The newest customers change little while a merchant moves between tabs.
SAMPLE_CACHE_SECONDS = 60


@dataclass(frozen=True)
class FieldUse:
    """A Stripe field the settings read, and what they need from it."""

    path: str
    purpose: str  # "match rule 1 looks up in e-conomic"
    needs_number: bool  # a whole number in e-conomic's range


def recent_stripe_sample(*, tenant: Tenant) -> list[dict] | None:
    """The newest Stripe customers of the tenant's first Stripe account (None when Stripe cannot be
    asked now); the settings document is one for all of its accounts."""
    key = f"mappings:stripe-sample:{tenant.pk}"
    sample = cache.get(key)
    if sample is not None:
        return sample
    try:
        account = connection_for(tenant=tenant, service=Service.STRIPE)
        sample = list(islice(stripe_client_for(account).iter_customers(), SAMPLE_SIZE))
    except (NotConnected, StripeError):
        return None
    cache.set(key, sample, SAMPLE_CACHE_SECONDS)
    return sample


def settings_sample_warnings(*, tenant: Tenant, document: dict) -> list[str]:
    """A warning for each way the document would fail most of the merchant's recent Stripe
    customers, with the counts ("17 of 20 recent Stripe customers have no metadata key ‘x’ …")."""
    sample = recent_stripe_sample(tenant=tenant)
    if not sample:
        return []
    warnings = [_warning(use, sample) for use in _fields_used(document)]
    matching = document.get("matching", {})
    if matching.get("on_empty_value") == OnEmptyValue.NEXT_RULE:
        warnings.append(_no_rule_has_a_value(matching.get("rules", []), sample))
    return [warning for warning in warnings if warning]


def _fields_used(document: dict) -> list[FieldUse]:
    """The fields that fail a customer when empty or unusable (with "try the next rule", an empty
    match field alone fails nobody: `_no_rule_has_a_value` checks those together)."""
    matching = document.get("matching", {})
    fail_when_empty = matching.get("on_empty_value", OnEmptyValue.FAIL) == OnEmptyValue.FAIL
    uses = []
    for number, rule in enumerate(matching.get("rules", []), start=1):
        economic = ECONOMIC_FIELDS.get(rule.get("economic_field"))
        needs_number = economic is not None and economic.kind == "integer"
        if fail_when_empty or needs_number:
            uses.append(
                FieldUse(rule["stripe_field"], f"match rule {number} looks up in e-conomic", needs_number)
            )
    numbers = document.get("customer_number", {})
    if numbers.get("mode") == NumberMode.STRIPE and numbers.get("stripe_field"):
        uses.append(
            FieldUse(numbers["stripe_field"], "your settings use as the e-conomic customer number", True)
        )
    return uses


def _warning(use: FieldUse, sample: list[dict]) -> str | None:
    values = [stripe_value(customer, use.path) for customer in sample]
    empty = sum(value is None for value in values)
    unusable = (
        sum(value is not None and not is_customer_number(value) for value in values)
        if use.needs_number
        else 0
    )
    if (empty + unusable) * 2 <= len(sample):
        return None
    field = stripe_field_words(use.path)
    what = f"no whole number (1 to 999,999,999) in {field}" if unusable else f"no {field}"
    return (
        f"{empty + unusable} of {len(sample)} recent Stripe customers have {what}, which {use.purpose}: "
        "they would fail to sync."
    )


def _no_rule_has_a_value(rules: list[dict], sample: list[dict]) -> str | None:
    paths = [rule["stripe_field"] for rule in rules]
    nothing = sum(all(stripe_value(customer, path) is None for path in paths) for customer in sample)
    if nothing * 2 <= len(sample):
        return None
    fields = ", ".join(stripe_field_words(path) for path in paths)
    return (
        f"{nothing} of {len(sample)} recent Stripe customers have none of your match fields ({fields}): "
        "they would fail to sync."
    )
