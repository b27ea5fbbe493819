"""The settings' closed sets of options, named once: the document, the engine, the forms and the
sync all use these (a StrEnum member equals its string, so stored documents stay plain JSON)."""

from enum import StrEnum


class OnEmptyValue(StrEnum):
    """What a match rule does when the Stripe customer has no value in its field."""

    FAIL = "fail"
    NEXT_RULE = "next_rule"


class NumberMode(StrEnum):
    """Who decides a new e-conomic customer's number."""

    ECONOMIC = "economic"
    STRIPE = "stripe"


class UpdateExisting(StrEnum):
    """Which linked e-conomic customers a sync updates from Stripe."""

    NEVER = "never"
    CREATED_BY_US = "created_by_us"
    ALWAYS = "always"


class OnStripeDelete(StrEnum):
    """What happens to the linked e-conomic customer when the Stripe customer is deleted."""

    IGNORE = "ignore"
    BAR = "bar"


class OnAmbiguous(StrEnum):
    """What the sync does when the match rules find several e-conomic customers."""

    REVIEW = "review"  # wait in the review queue for the merchant to choose
    FAIL = "fail"  # record a failure naming the candidates


class MatchOutcome(StrEnum):
    """What the match rules found in e-conomic for one Stripe customer."""

    MATCHED = "matched"  # exactly one customer: link it
    AMBIGUOUS = "ambiguous"  # several customers: the merchant must decide
    NOT_FOUND = "not_found"  # nobody: create one
    BLOCKED = "blocked"  # the plan cannot search (an empty or invalid match value)


class Direction(StrEnum):
    """Which way one mapped field flows between Stripe and e-conomic."""

    STRIPE_TO_ECONOMIC = "stripe_to_economic"  # what the sync always did, and the default
    ECONOMIC_TO_STRIPE = "economic_to_stripe"  # a bookkeeper's fix in e-conomic reaches Stripe
    BOTH = "both"  # either side's change reaches the other; a conflict follows the tenant's rule


class ConflictRule(StrEnum):
    """Which side wins a field set to flow both ways when both sides changed it between syncs."""

    NEWEST_WINS = "newest_wins"
    STRIPE_WINS = "stripe_wins"
    ECONOMIC_WINS = "economic_wins"


class Side(StrEnum):
    """One of the two systems, as a conflict's winner names it."""

    STRIPE = "stripe"
    ECONOMIC = "economic"
