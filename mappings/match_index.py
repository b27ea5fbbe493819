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

    def add(self, customer: dict) -> None:
        # Only the matched fields are kept, so memory stays small for large agreements.
        self.size += 1
        slim = {f: customer.get(f) for f in self._fields} | {"customerNumber": customer.get("customerNumber")}
        for field in self._fields:
            if customer.get(field) not in (None, ""):
                for key in _keys(field, customer[field]):
                    self._by_field[field][key].append(slim)

    def lookup(self, query: MatchQuery) -> list[dict]:
        candidates = self._by_field.get(query.economic_field, {}).get(query.value.strip().casefold(), [])
        # One customer listing the same address twice is still one candidate.
        return list({c["customerNumber"]: c for c in candidates}.values())
