"""The `?filter=` language of the e-conomic REST API, parsed into a tree that evaluates records.

    parse_filter("name$eq:Joe$and:(city$like:*port$or:age$lt:40)")  -> Node
    node.matches(record) -> bool
    check_filter(node, schema)  -> raises FilterError for a property that is not filterable

Values are unescaped here (`$$ $( $) $* $, $[ $]`), `$null:` stands for null, an unescaped `*`
is a wildcard (meaningful to `$like:` only). `$and:` binds tighter than `$or:`; parentheses
override. Strings compare case-insensitively.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "like", "in", "nin")
ESCAPABLE = "$()*,[]"
MAX_IN_VALUES = 200


class FilterError(ValueError):
    """A malformed filter, or one on a property that cannot be filtered that way (→ 400).

    `property` names the property at fault when there is one (the 400 then names it in `errors`).
    """

    def __init__(self, message: str, property: str | None = None):
        super().__init__(message)
        self.property = property


@dataclass(frozen=True)
class Wildcard:
    """An unescaped `*` inside a value."""


WILDCARD = Wildcard()


@dataclass(frozen=True)
class Value:
    """A literal as written: text pieces and wildcards, or null."""

    parts: tuple[str | Wildcard, ...]
    is_null: bool = False

    @property
    def text(self) -> str:
        """The value with wildcards read as a literal `*` (for every operator but `$like:`)."""
        return "".join("*" if isinstance(p, Wildcard) else p for p in self.parts)

    def as_python(self) -> str | None:
        return None if self.is_null else self.text


@dataclass(frozen=True)
class Predicate:
    field: str
    operator: str
    values: tuple[Value, ...]  # one value; several for $in: / $nin:

    @property
    def value(self) -> str | None | list[str | None]:
        if self.operator in ("in", "nin"):
            return [v.as_python() for v in self.values]
        return self.values[0].as_python()

    def matches(self, record: dict[str, Any]) -> bool:
        actual = record.get(self.field)
        op = self.operator
        if op in ("in", "nin"):
            hit = any(_equal(actual, v) for v in self.values)
            return hit if op == "in" else not hit
        value = self.values[0]
        if op == "eq":
            return _equal(actual, value)
        if op == "ne":
            return not _equal(actual, value)
        if op == "like":
            return actual is not None and _like(str(actual), value)
        if actual is None or value.is_null:
            return False
        left, right = _comparable(actual), _coerce(actual, value.text)
        return {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right}[op]


@dataclass(frozen=True)
class BoolOp:
    operator: str  # "and" | "or"
    children: tuple[Node, ...]

    def matches(self, record: dict[str, Any]) -> bool:
        test = all if self.operator == "and" else any
        return test(child.matches(record) for child in self.children)


Node = Predicate | BoolOp


def _comparable(actual: Any) -> Any:
    return actual.casefold() if isinstance(actual, str) else actual


def _coerce(actual: Any, text: str) -> Any:
    """Read the filter's text as the type of the record's value."""
    if isinstance(actual, bool):
        if text.lower() not in ("true", "false"):
            raise FilterError(f"'{text}' is not true or false")
        return text.lower() == "true"
    if isinstance(actual, int | float):
        try:
            return int(text) if isinstance(actual, int) and re.fullmatch(r"-?\d+", text) else float(text)
        except ValueError:
            raise FilterError(f"'{text}' is not a number") from None
    return text.casefold()


def _equal(actual: Any, value: Value) -> bool:
    if value.is_null:
        return actual is None
    if actual is None:
        return False
    return _comparable(actual) == _coerce(actual, value.text)


def _like(actual: str, value: Value) -> bool:
    if value.is_null:
        return False
    if not any(isinstance(p, Wildcard) for p in value.parts):
        return value.text.casefold() in actual.casefold()
    pattern = "".join(".*" if isinstance(p, Wildcard) else re.escape(p) for p in value.parts)
    return re.fullmatch(pattern, actual, flags=re.IGNORECASE | re.DOTALL) is not None


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def error(self, what: str) -> FilterError:
        return FilterError(f"{what} at position {self.pos} of the filter")

    def startswith(self, token: str) -> bool:
        return self.text.startswith(token, self.pos)

    def parse(self) -> Node:
        if not self.text:
            raise self.error("Empty filter")
        node = self.parse_or()
        if self.pos != len(self.text):
            raise self.error("Unexpected text")
        return node

    def parse_or(self) -> Node:
        children = [self.parse_and()]
        while self.startswith("$or:"):
            self.pos += len("$or:")
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else BoolOp("or", tuple(children))

    def parse_and(self) -> Node:
        children = [self.parse_term()]
        while self.startswith("$and:"):
            self.pos += len("$and:")
            children.append(self.parse_term())
        return children[0] if len(children) == 1 else BoolOp("and", tuple(children))

    def parse_term(self) -> Node:
        if self.startswith("("):
            self.pos += 1
            node = self.parse_or()
            if not self.startswith(")"):
                raise self.error("Missing ')'")
            self.pos += 1
            return node
        return self.parse_predicate()

    def parse_predicate(self) -> Predicate:
        match = re.compile(r"([A-Za-z][A-Za-z0-9.]*)\$([a-z]+):").match(self.text, self.pos)
        if not match or match.group(2) not in OPERATORS:
            raise self.error("Expected property$operator:value")
        self.pos = match.end()
        field, operator = match.group(1), match.group(2)
        if operator in ("in", "nin"):
            values = self.parse_list()
        else:
            values = (self.parse_value(in_list=False),)
        return Predicate(field, operator, values)

    def parse_list(self) -> tuple[Value, ...]:
        if not self.startswith("["):
            raise self.error("Expected '[' to open the list")
        self.pos += 1
        values = [self.parse_value(in_list=True)]
        while self.startswith(","):
            self.pos += 1
            values.append(self.parse_value(in_list=True))
        if not self.startswith("]"):
            raise self.error("Expected ']' to close the list")
        self.pos += 1
        if len(values) > MAX_IN_VALUES:
            raise self.error(f"More than {MAX_IN_VALUES} values in a list")
        return tuple(values)

    def parse_value(self, *, in_list: bool) -> Value:
        if self.startswith("$null:"):
            self.pos += len("$null:")
            return Value((), is_null=True)
        parts: list[str | Wildcard] = []
        chars: list[str] = []
        while not self.value_ends(in_list=in_list):
            if self.startswith("*"):
                if chars:
                    parts.append("".join(chars))
                    chars = []
                parts.append(WILDCARD)
                self.pos += 1
            else:
                chars.append(self.parse_value_char())
        if chars or not parts:
            parts.append("".join(chars))
        return Value(tuple(parts))

    def value_ends(self, *, in_list: bool) -> bool:
        # A `$` starting `$and:`/`$or:` ends the value; any other `$` is an escape inside it.
        if self.pos >= len(self.text):
            return True
        char = self.text[self.pos]
        if char == "$":
            return self.startswith("$and:") or self.startswith("$or:")
        return char == ")" or (in_list and char in ",]")

    def parse_value_char(self) -> str:
        """One literal character of a value, `$x` unescaped to `x`."""
        char = self.text[self.pos]
        if char == "$":
            following = self.text[self.pos + 1 : self.pos + 2]
            if following == "" or following not in ESCAPABLE:
                raise self.error("Unknown escape after '$'")
            self.pos += 2
            return following
        if char in "(,[]":
            raise self.error(f"Unescaped '{char}' in a value")
        self.pos += 1
        return char


def parse_filter(text: str) -> Node:
    """Parse a filter (already URL-decoded); raises FilterError when it is malformed."""
    return _Parser(text).parse()


@dataclass(frozen=True)
class FieldSpec:
    """How a collection lets one of its properties be filtered and sorted."""

    kind: type  # str, int, float, bool
    like: bool = False


def predicates(node: Node) -> list[Predicate]:
    if isinstance(node, Predicate):
        return [node]
    return [p for child in node.children for p in predicates(child)]


def check_filter(node: Node, schema: dict[str, FieldSpec]) -> None:
    """Refuse properties that are not filterable, `$like:` where it is not allowed and values
    that cannot be read as the property's type."""
    for predicate in predicates(node):
        field = predicate.field
        spec = schema.get(field)
        if spec is None:
            raise FilterError(f"The property '{field}' cannot be filtered on", field)
        if predicate.operator == "like" and not spec.like:
            raise FilterError(f"The property '{field}' does not allow $like:", field)
        sample = {str: "", int: 0, float: 0.0, bool: False}[spec.kind]
        for value in predicate.values:
            if not value.is_null:
                try:
                    _coerce(sample, value.text)
                except FilterError as exc:
                    raise FilterError(f"{exc} (property '{field}')", field) from None
