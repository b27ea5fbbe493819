"""Any text, escaped by our client, reads back unchanged through the emulator's filter parser."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.economic_api.filters import FilterError, Predicate, parse_filter
from syncapp.clients.economic import escape_filter_value, filter_equals

# Heavy on the characters the filter language reserves, plus anything else.
texts = st.text(alphabet=st.sampled_from("$()*,[]:andorNUL ") | st.characters(), max_size=60)


@given(texts)
def test_escaped_value_parses_back_to_the_same_text(text):
    node = parse_filter(f"name$eq:{escape_filter_value(text)}")
    assert node == Predicate("name", "eq", node.values)
    assert node.value == text


@given(texts, texts)
def test_escaped_value_ends_where_the_next_predicate_starts(first, second):
    node = parse_filter(f"(name$eq:{escape_filter_value(first)}$or:email$ne:{escape_filter_value(second)})")
    assert [child.value for child in node.children] == [first, second]


@given(st.lists(texts, min_size=1, max_size=5))
def test_escaped_values_in_a_list_parse_back_in_order(values):
    node = parse_filter(f"name$in:[{','.join(escape_filter_value(v) for v in values)}]")
    assert node.value == values


@given(texts)
def test_escaped_value_matches_the_record_that_holds_it(text):
    assert parse_filter(f"name$eq:{escape_filter_value(text)}").matches({"name": text})
    # Escaped, a `*` is a plain character, never a wildcard.
    assert parse_filter(f"name$like:{escape_filter_value(text)}").matches({"name": f"x{text}y"})


@given(texts)
def test_filter_equals_trims_then_escapes(text):
    node = parse_filter(filter_equals("email", text))
    assert node.value == text.strip()


@pytest.mark.parametrize("raw", ["name$eq:a$b", "name$eq:a(b", "name$eq:a]b", "name$eq:a,b", "name$eq:a$"])
def test_unescaped_reserved_character_is_a_filter_error(raw):
    with pytest.raises(FilterError):
        parse_filter(raw)
