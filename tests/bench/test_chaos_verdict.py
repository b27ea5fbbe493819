"""The chaos run's verdict from its counts (`bench.chaos.run.failures`, the exit status): every
e-conomic edit in Stripe by exactly one write and one record, its event settled, no echo."""

import pytest

from bench.chaos.run import Plan, failures

PLAN = Plan.small()


def passing_counts() -> dict:
    return {
        "stripe_customers": 200,
        "expected_economic_customers": 180,
        "economic_customers": 180,
        "duplicates": 0,
        "events_lost": 0,
        "events_not_final": 0,
        "economic_edits": PLAN.edits,
        "edits_in_stripe": PLAN.edits,
        "edit_seconds_to_stripe_max": 9.0,
        "edit_writes": PLAN.edits,
        "edit_writes_distinct": PLAN.edits,
        "edit_records": PLAN.edits,
        "edit_events": PLAN.edits,
        "edit_events_settled": PLAN.edits,
        "echoes": 0,
    }


def test_the_counts_of_a_good_run_pass():
    assert failures(PLAN, passing_counts()) == []


@pytest.mark.parametrize(
    "changed",
    [
        {"echoes": 1},  # our Stripe write came back to e-conomic
        {"edit_writes": PLAN.edits + 1, "edit_writes_distinct": PLAN.edits + 1},  # one edit written twice
        {"edit_writes_distinct": PLAN.edits - 1},  # two writes under one key: one was not the edit's own
        {"edits_in_stripe": PLAN.edits - 1},  # an edit never reached Stripe
        {"edit_records": PLAN.edits - 1},  # a write without its record in the sync log
        {"economic_edits": PLAN.edits - 1, "edits_in_stripe": PLAN.edits - 1},  # an edit never made
        {"edit_events_settled": PLAN.edits - 1},  # an echo still pending: the run proved nothing yet
        {"economic_customers": 179},
        {"events_lost": 1},
    ],
)
def test_each_wrong_count_fails_the_run(changed):
    assert failures(PLAN, {**passing_counts(), **changed})
