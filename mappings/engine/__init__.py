"""The pure core of the settings: no I/O, no models, no Django settings.

- `types`: the frozen settings, plan and match query;
- `stripe_paths`: reading a Stripe customer by dotted field path;
- `planning`: `plan_customer`, settings + Stripe customer → searches, payload, warnings;
- `notes`: the warnings and blocking errors, sentences that keep their code and values;
- `matching`: `find_match`, the one matching step (sync, import and preview);
- `payloads`: what is sent to e-conomic (defaults, field rules, PUT bodies).
"""

from .matching import MatchResult, RuleResult, Search, customer_matches, find_match
from .payloads import barred_payload, update_payload
from .planning import plan_customer
from .stripe_paths import stripe_value
from .types import CustomerPlan, Defaults, FieldMapping, MatchQuery, MatchRule, SyncSettings

__all__ = [
    "CustomerPlan",
    "Defaults",
    "FieldMapping",
    "MatchQuery",
    "MatchResult",
    "MatchRule",
    "RuleResult",
    "Search",
    "SyncSettings",
    "barred_payload",
    "customer_matches",
    "find_match",
    "plan_customer",
    "stripe_value",
    "update_payload",
]
