"""The one matching step: the plan's match queries, run in order against any search.

The sync searches e-conomic, the import its preloaded index, the preview e-conomic again: all
three call `find_match`, so they find the same customer for the same Stripe customer.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from syncapp.clients.economic import escape_filter_value, filter_equals

from ..vocabulary import MatchOutcome
from .types import CustomerPlan, MatchQuery

Search = Callable[[MatchQuery], Iterable[dict]]


@dataclass(frozen=True)
class RuleResult:
    query: MatchQuery
    hits: tuple[dict, ...]  # the customers found that really have the value


@dataclass(frozen=True)
class MatchResult:
    outcome: MatchOutcome
    tried: tuple[RuleResult, ...]

    @property
    def deciding(self) -> RuleResult | None:
        """The rule that found someone (the last one tried), when one did."""
        if self.outcome in (MatchOutcome.MATCHED, MatchOutcome.AMBIGUOUS):
            return self.tried[-1]
        return None

    @property
    def found(self) -> dict | None:
        return self.tried[-1].hits[0] if self.outcome == MatchOutcome.MATCHED else None


def find_match(plan: CustomerPlan, search: Search) -> MatchResult:
    """Try the rules in order; the first that finds anyone decides (one hit: matched)."""
    if plan.blocking_error:
        return MatchResult(MatchOutcome.BLOCKED, ())
    tried: list[RuleResult] = []
    for query in plan.match_queries:
        hits = tuple(customer for customer in search(query) if customer_matches(query, customer))
        tried.append(RuleResult(query, hits))
        if hits:
            outcome = MatchOutcome.MATCHED if len(hits) == 1 else MatchOutcome.AMBIGUOUS
            return MatchResult(outcome, tuple(tried))
    return MatchResult(MatchOutcome.NOT_FOUND, tuple(tried))


def match_filter(economic_field: str, value: str) -> str:
    """The e-conomic filter that finds customers with `value` in `economic_field`."""
    if economic_field == "email":
        # e-conomic's email may hold several addresses; `$like:` finds ours among them and
        # customer_matches confirms the exact address.
        return f"email$like:{escape_filter_value(value)}"
    return filter_equals(economic_field, value)


def customer_matches(query: MatchQuery, economic_customer: dict) -> bool:
    """Whether a search hit really has the value (a `$like:` search also finds look-alikes)."""
    found = economic_customer.get(query.economic_field)
    if found is None:
        return False
    wanted = query.value.strip().casefold()
    if query.economic_field == "email":
        return any(address.casefold() == wanted for address in str(found).split())
    return str(found).strip().casefold() == wanted
