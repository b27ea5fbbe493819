"""Both directions per field (issue 24): which mappings can flow to Stripe, the settings document's
version 2, and which way each field flows when one or both sides changed it."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mappings.document import default_document, parse, validate_document
from mappings.engine import FieldMapping, plan_customer
from mappings.engine.two_way import (
    directions_offered,
    economic_side_values,
    fields_to_flow,
    inversion_problem,
    stripe_side_values,
    stripe_update,
    value_fingerprint,
)
from mappings.vocabulary import ConflictRule, Direction, Side
from tests.factories import settings_document

T0 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def mapping(economic, stripe, direction=Direction.BOTH):
    return FieldMapping(economic, stripe, True, direction)


@pytest.mark.parametrize(
    "economic, stripe",
    [("phone", "phone"), ("city", "address.city"), ("address", "address.line1"), ("ean", "metadata.ean")],
)
def test_a_one_field_mapping_can_flow_both_ways(economic, stripe):
    assert inversion_problem(mapping(economic, stripe)) is None
    assert directions_offered(mapping(economic, stripe)) == tuple(Direction)


def test_an_address_made_of_two_stripe_lines_cannot_flow_back_and_says_why():
    problem = inversion_problem(mapping("address", "address.line1+address.line2"))
    assert "cannot be split back" in problem and "billing address, lines 1 and 2" in problem
    assert directions_offered(mapping("address", "address.line1+address.line2")) == (
        Direction.STRIPE_TO_ECONOMIC,
    )


@pytest.mark.parametrize("stripe", ["tax_ids.dk_cvr", "tax_ids.0.value", "shipping.address.city", "id"])
def test_fields_stripe_will_not_set_one_by_one_are_not_offered(stripe):
    assert inversion_problem(mapping("city", stripe))


def test_a_version_1_document_reads_every_field_as_stripe_to_economic():
    doc = default_document()
    doc["version"] = 1
    for item in doc["field_mappings"]:
        del item["direction"]
    doc["sync"] = {"update_existing": "always", "on_stripe_delete": "ignore"}
    assert validate_document(doc) == []
    settings = parse(doc)
    assert {m.direction for m in settings.field_mappings} == {Direction.STRIPE_TO_ECONOMIC}
    assert settings.conflict_rule == ConflictRule.NEWEST_WINS and not settings.reads_economic


def test_a_version_1_document_cannot_carry_directions():
    doc = default_document()
    doc["version"] = 1
    assert "field_mappings[0].direction: unknown key" in " ".join(validate_document(doc))


def test_version_2_names_a_direction_that_cannot_be_and_a_bad_rule_and_interval():
    doc = settings_document(sync={"conflict_rule": "loudest_wins", "economic_read_minutes": 0})
    doc["field_mappings"][2]["direction"] = "economic_to_stripe"  # address from two lines
    doc["field_mappings"][0]["direction"] = "sideways"
    problems = validate_document(doc)
    assert any(
        p.startswith("field_mappings[2].direction: cannot flow from e-conomic to Stripe") for p in problems
    )
    assert any(p.startswith("field_mappings[0].direction: “sideways” is not one of") for p in problems)
    assert any(p.startswith("sync.conflict_rule:") for p in problems)
    assert any(p.startswith("sync.economic_read_minutes:") for p in problems)


def _doc_with(direction, rule=ConflictRule.NEWEST_WINS):
    doc = settings_document(sync={"update_existing": "always", "conflict_rule": rule})
    doc["field_mappings"] = [
        {"economic_field": "name", "stripe_field": "name", "keep_updated": True},
        {
            "economic_field": "address",
            "stripe_field": "address.line1",
            "keep_updated": True,
            "direction": direction,
        },
    ]
    assert validate_document(doc) == []
    return parse(doc)


def test_the_stripe_side_sync_never_updates_a_field_set_economic_to_stripe():
    settings = _doc_with(Direction.ECONOMIC_TO_STRIPE)
    plan = plan_customer(
        settings=settings, stripe_customer={"id": "cus_1", "name": "A", "address": {"line1": "Old"}}
    )
    assert "address" not in plan.update_fields
    assert plan.create_payload["address"] == "Old"  # a new customer still gets it: nothing to overwrite
    both = plan_customer(
        settings=_doc_with(Direction.BOTH), stripe_customer={"id": "cus_1", "address": {"line1": "Old"}}
    )
    assert both.update_fields["address"] == "Old"


def flows(settings, stripe, economic, agreed, stripe_at=None, economic_at=None):
    return fields_to_flow(
        settings=settings,
        stripe_values={"address": stripe},
        economic_values={"address": economic},
        agreed={"address": value_fingerprint(agreed)} if agreed is not None else {},
        stripe_changed_at=stripe_at,
        economic_changed_at=economic_at,
    )


def test_a_change_in_economic_flows_to_stripe_and_our_own_write_coming_back_is_no_change():
    settings = _doc_with(Direction.ECONOMIC_TO_STRIPE)
    (flow,) = flows(settings, "Old", "New", agreed="Old")
    assert (flow.to, flow.value, flow.winner) == (Side.STRIPE, "New", None)
    assert flows(settings, "New", "New", agreed="New") == ()  # the echo: nothing to do


def test_economic_to_stripe_leaves_a_stripe_only_edit_alone_and_never_writes_an_empty_value():
    settings = _doc_with(Direction.ECONOMIC_TO_STRIPE)
    assert flows(settings, "Merchant typed", "Old", agreed="Old") == ()
    assert flows(settings, "Old", None, agreed="Old") == ()


def test_both_ways_a_one_sided_change_flows_to_the_other_side():
    settings = _doc_with(Direction.BOTH)
    assert [(f.to, f.value) for f in flows(settings, "Old", "Fix", agreed="Old")] == [(Side.STRIPE, "Fix")]
    assert [(f.to, f.value) for f in flows(settings, "Moved", "Old", agreed="Old")] == [
        (Side.ECONOMIC, "Moved")
    ]


@pytest.mark.parametrize(
    "rule, stripe_later, winner",
    [
        (ConflictRule.NEWEST_WINS, True, Side.STRIPE),
        (ConflictRule.NEWEST_WINS, False, Side.ECONOMIC),
        (ConflictRule.STRIPE_WINS, False, Side.STRIPE),
        (ConflictRule.ECONOMIC_WINS, True, Side.ECONOMIC),
    ],
)
def test_both_sides_edited_between_syncs_follow_the_conflict_rule_and_name_the_other_value(
    rule, stripe_later, winner
):
    settings = _doc_with(Direction.BOTH, rule)
    stripe_at, economic_at = (
        (T0 + timedelta(minutes=1), T0) if stripe_later else (T0, T0 + timedelta(minutes=1))
    )
    (flow,) = flows(settings, "S", "E", agreed="Old", stripe_at=stripe_at, economic_at=economic_at)
    assert flow.winner == winner
    assert (flow.value, flow.other_value) == (("S", "E") if winner == Side.STRIPE else ("E", "S"))
    assert flow.to != winner


def test_newest_wins_gives_a_tie_or_an_unknown_stripe_time_to_economic():
    settings = _doc_with(Direction.BOTH)
    assert flows(settings, "S", "E", agreed="Old", stripe_at=T0, economic_at=T0)[0].winner == Side.ECONOMIC
    assert flows(settings, "S", "E", agreed="Old", stripe_at=None, economic_at=T0)[0].winner == Side.ECONOMIC


@given(st.text(max_size=40), st.text(max_size=40), st.one_of(st.none(), st.text(max_size=40)))
def test_fields_never_flow_when_both_sides_already_agree_and_always_write_the_other_side(
    stripe, economic, agreed
):
    settings = _doc_with(Direction.BOTH)
    result = flows(settings, stripe or None, economic or None, agreed=agreed)
    if (stripe or None) == (economic or None):
        assert result == ()
    for flow in result:
        assert flow.value == (economic or None if flow.to == Side.STRIPE else stripe or None)


def test_values_are_compared_in_economic_terms_and_written_to_stripe_in_stripe_terms():
    doc = settings_document(sync={"update_existing": "always"})
    doc["field_mappings"] = [
        {
            "economic_field": "country",
            "stripe_field": "address.country",
            "keep_updated": True,
            "direction": "both",
        },
        {
            "economic_field": "telephoneAndFaxNumber",
            "stripe_field": "phone",
            "keep_updated": True,
            "direction": "both",
        },
        {"economic_field": "ean", "stripe_field": "metadata.ean", "keep_updated": True, "direction": "both"},
    ]
    settings = parse(doc)
    assert stripe_side_values(settings, {"address": {"country": "DK"}, "phone": " 1 ", "metadata": {}}) == {
        "country": "Denmark",
        "telephoneAndFaxNumber": "1",
        "ean": None,
    }
    economic = economic_side_values(
        settings, {"country": "Sweden", "telephoneAndFaxNumber": "22", "ean": "57"}
    )
    changes = fields_to_flow(
        settings=settings,
        stripe_values={"country": "Denmark", "telephoneAndFaxNumber": "1", "ean": None},
        economic_values=economic,
        agreed={"country": value_fingerprint("Denmark"), "telephoneAndFaxNumber": value_fingerprint("1")},
        stripe_changed_at=None,
        economic_changed_at=None,
    )
    update = stripe_update(settings, changes)
    assert update.params == {"address": {"country": "SE"}, "phone": "22", "metadata": {"ean": "57"}}
    assert set(update.fields) == {"country", "telephoneAndFaxNumber", "ean"}


def test_a_country_name_we_cannot_read_is_left_out_of_stripe_with_a_warning():
    doc = settings_document()
    doc["field_mappings"] = [
        {
            "economic_field": "country",
            "stripe_field": "address.country",
            "keep_updated": True,
            "direction": "both",
        }
    ]
    settings = parse(doc)
    changes = fields_to_flow(
        settings=settings,
        stripe_values={"country": "Denmark"},
        economic_values={"country": "Narnia"},
        agreed={"country": value_fingerprint("Denmark")},
        stripe_changed_at=None,
        economic_changed_at=None,
    )
    update = stripe_update(settings, changes)
    assert update.params == {} and "Narnia" in update.warnings[0]
