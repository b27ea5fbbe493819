"""An in-memory index of e-conomic customers, for imports: match without one search per customer.

It is a `Search` for `find_match`: it offers the candidates an e-conomic search would (case-insensitive,
trimmed, each of several e-mail addresses) and `find_match` confirms them the same way, so an import
and a webhook sync link the same customers.
"""

from collections import defaultdict
from collections.abc import Iterable

from .engine import MatchQuery


def _keys(field: str, value: object) -> list[str]:
    text = str(value).strip().casefold()
    return text.split() if field == "email" else [text]


class MatchIndex:
    def __init__(self, fields: Iterable[str]):
        self._fields = set(fields)
        self._by_field: dict[str, dict[str, list[dict]]] = {f: defaultdict(list) for f in self._fields}
        self.size = 0

    @classmethod
    def of(cls, customers: Iterable[dict], *, fields: Iterable[str]) -> "MatchIndex":
        index = cls(fields)
        for customer in customers:
            index.add(customer)
        return index

    def add(self, customer: dict, *, planned_for: str | None = None) -> None:
        """Index an e-conomic customer; with `planned_for` (a Stripe customer id), one a dry run
        would create, which has no number yet but must be found like a created one."""
        # Only the matched fields are kept, so memory stays small for large agreements.
        slim = {f: customer.get(f) for f in self._fields} | {"customerNumber": customer.get("customerNumber")}
        if planned_for:
            slim["plannedFor"] = planned_for
        else:
            self.size += 1
        for field in self._fields:
            if customer.get(field) not in (None, ""):
                for key in _keys(field, customer[field]):
                    self._by_field[field][key].append(slim)

    def lookup(self, query: MatchQuery) -> list[dict]:
        candidates = self._by_field.get(query.economic_field, {}).get(query.value.strip().casefold(), [])
        # One customer listing the same address twice is still one candidate.
        return list({_identity(c): c for c in candidates}.values())

    def duplicates(self) -> list[dict]:
        """e-conomic customers sharing a match value, without the value (it is personal data; the
        numbers are enough to find them in e-conomic): [{"field": "email", "customer_numbers": [12, 13]}].
        Customers sharing several values (two addresses each) are one group."""
        groups: dict[tuple, dict] = {}
        for field, by_value in sorted(self._by_field.items()):
            for _, candidates in sorted(by_value.items()):
                numbers = sorted({c["customerNumber"] for c in candidates if "plannedFor" not in c})
                if len(numbers) > 1:
                    groups[(field, *numbers)] = {"field": field, "customer_numbers": numbers}
        return list(groups.values())


def _identity(customer: dict) -> tuple:
    return customer["customerNumber"], customer.get("plannedFor")
