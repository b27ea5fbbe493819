"""e-conomic's error bodies come in the shape of the request: every message is read, at any depth."""

import json
from pathlib import Path

import pytest

from syncapp.clients.economic import validation_errors

EXAMPLE = (
    Path(__file__).resolve().parents[3] / "shared" / "reference" / "examples" / "economic-error-400.json"
)


def test_flat_errors_are_keyed_by_field():
    errors = {"customerNumber": {"errors": [{"propertyName": "customerNumber", "errorMessage": "In use."}]}}
    assert validation_errors(errors) == {"customerNumber": ["In use."]}


def test_nested_errors_are_keyed_by_their_dotted_place():
    errors = {
        "customerGroup": {"customerGroupNumber": {"errors": [{"errorMessage": "Unknown group."}]}},
        "name": {"errors": [{"errorMessage": "Too long."}, {"errorMessage": "Required."}]},
    }
    assert validation_errors(errors) == {
        "customerGroup.customerGroupNumber": ["Unknown group."],
        "name": ["Too long.", "Required."],
    }


def test_list_shaped_errors_as_seen_from_production_are_read():
    errors = [{"entries": {"items": [{"date": {"errors": [{"errorMessage": "Bad date."}]}}]}}]
    assert validation_errors(errors) == {"entries.items.date": ["Bad date."]}


@pytest.mark.parametrize("nothing", [None, {}, [], "text", 3])
def test_a_body_without_errors_gives_none(nothing):
    assert validation_errors(nothing) == {}


@pytest.mark.skipif(not EXAMPLE.exists(), reason="the shared reference sits beside the repository")
def test_the_reference_example_reads_every_message():
    body = json.loads(EXAMPLE.read_text())
    messages = [m for ms in validation_errors(body["errors"]).values() for m in ms]
    assert len(messages) == len(json.dumps(body["errors"]).split('"errorMessage"')) - 1 > 0
