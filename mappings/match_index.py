"""An in-memory index of e-conomic customers, for imports: match without one search per customer.

It is a `Search` for `find_match`: it offers the candidates an e-conomic search would (case-insensitive,
trimmed, each of several e-mail addresses) and `find_match` confirms them the same way, so an import
and a webhook sync link the same customers.

An import reads e-conomic once into it and keeps it between its chunks (`snapshot`/`of_snapshot`);
a customer added again (changed in e-conomic since) replaces its earlier entry, and `watermark` is
the latest `lastUpdated` read, from which the changes since can be read.
"""

import threading
from collections import defaultdict
from collections.abc import Iterable

from .engine import MatchQuery


def match_keys(field: str, value: object) -> list[str]:
    """The keys a value is found by: trimmed, case-folded, each address of an e-mail field."""
    text = str(value).strip().casefold()
    return text.split() if field == "email" else [text]


class MatchIndex:
    def __init__(self, fields: Iterable[str]):
        self.fields = frozenset(fields)
        self.watermark = ""
        # When e-conomic was last read into it (time.time()): what our own syncs created since,
        # the match value claims tell (customers/services/claims.py).
        self.read_at = 0.0
        self._by_field: dict[str, dict[str, list[dict]]] = {f: defaultdict(list) for f in self.fields}
        # By customer number; a dry run's would-be customer (no number yet) by its Stripe customer.
        self._entries: dict[object, dict] = {}
        # An import's lanes add to one index at once.
        self._lock = threading.Lock()

    @classmethod
    def of(cls, customers: Iterable[dict], *, fields: Iterable[str]) -> "MatchIndex":
        index = cls(fields)
        for customer in customers:
            index.add(customer)
        return index

    @property
    def size(self) -> int:
        """e-conomic customers held (not a dry run's would-be ones)."""
        return sum(1 for key in self._entries if not isinstance(key, tuple))

    def holds(self, customer_number: int) -> bool:
        return customer_number in self._entries

    def add(self, customer: dict, *, planned_for: str | None = None) -> None:
        """Index an e-conomic customer; with `planned_for` (a Stripe customer id), one a dry run
        would create, which has no number yet but must be found like a created one."""
        # Only the matched fields are kept, so memory stays small for large agreements.
        slim = {f: customer.get(f) for f in self.fields} | {"customerNumber": customer.get("customerNumber")}
        planned_for = planned_for or customer.get("plannedFor")
        if planned_for:
            slim["plannedFor"] = planned_for
        self._put(slim)
        self.watermark = max(self.watermark, customer.get("lastUpdated") or "")

    def _put(self, slim: dict) -> None:
        planned_for = slim.get("plannedFor")
        key = ("planned", planned_for) if planned_for else slim["customerNumber"]
        with self._lock:
            if key in self._entries:
                self._remove(self._entries[key])
            self._entries[key] = slim
            for field in self.fields:
                if slim[field] not in (None, ""):
                    for value_key in match_keys(field, slim[field]):
                        self._by_field[field][value_key].append(slim)

    def _remove(self, slim: dict) -> None:
        for field in self.fields:
            if slim[field] not in (None, ""):
                for key in match_keys(field, slim[field]):
                    self._by_field[field][key].remove(slim)

    def lookup(self, query: MatchQuery) -> list[dict]:
        candidates = self._by_field.get(query.economic_field, {}).get(query.value.strip().casefold(), [])
        # One customer listing the same address twice is still one candidate.
        return list({id(c): c for c in candidates}.values())

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

    def snapshot(self) -> dict:
        """What the index holds, as plain data a cache can keep between an import's chunks."""
        customers = list(self._entries.values())
        return {
            "fields": sorted(self.fields),
            "watermark": self.watermark,
            "read_at": self.read_at,
            "customers": customers,
        }

    @classmethod
    def of_snapshot(cls, snapshot: dict) -> "MatchIndex":
        # The snapshot's entries are slim already: indexed as they are, not copied (an import's
        # worker reloads it every chunk, and a copy would double its peak memory).
        index = cls(snapshot["fields"])
        for slim in snapshot["customers"]:
            index._put(slim)
        index.watermark = snapshot["watermark"]
        index.read_at = snapshot.get("read_at", 0.0)
        return index
