"""The one way a message or warning of the sync log loses the personal data copied into it.

Our messages quote every value they take from a customer in “curly quotes” (match values, names,
codes) and may name an e-mail address; both go. Ids, numbers and the explanation stay, so the log
still says what happened.
"""

import re
from collections.abc import Iterable

from mappings.vocabulary import NumberMode, OnEmptyValue, OnStripeDelete, UpdateExisting

REMOVED = "[removed]"
_QUOTED = re.compile(r"“[^”]*”")
_EMAIL = re.compile(r"[^\s@“”\"'<>(),;:\[\]]+@[^\s@“”\"'<>(),;:\[\]]+\.[^\s@“”\"'<>(),;:\[\]]+")
# Leaves of a Stripe customer that are not personal data: kept out of the known values so that an
# erasure does not blank words like "customer" or "DKK" in the explanation.
_NOT_PERSONAL_KEYS = {"id", "object", "currency", "tax_exempt", "invoice_prefix", "type", "status"}
_MIN_KNOWN_LENGTH = 4
# Our own option names, quoted in explanations ("choose “bar” to block invoicing"): not personal.
_OUR_WORDS = {str(v) for enum in (NumberMode, OnEmptyValue, OnStripeDelete, UpdateExisting) for v in enum}


def _quoted(match: re.Match) -> str:
    return match.group(0) if match.group(0)[1:-1] in _OUR_WORDS else f"“{REMOVED}”"


def redact_text(text: str, known: Iterable[str] = ()) -> str:
    for value in sorted(set(known), key=len, reverse=True):
        text = re.sub(re.escape(value), REMOVED, text, flags=re.IGNORECASE)
    text = _QUOTED.sub(_quoted, text)
    return _EMAIL.sub(REMOVED, text)


def personal_values(value: object, *, key: str = "") -> set[str]:
    """Every string leaf of a Stripe object (or a payload we sent) that can be personal data."""
    if isinstance(value, dict):
        return {
            leaf
            for child_key, child in value.items()
            if child_key not in _NOT_PERSONAL_KEYS
            for leaf in personal_values(child, key=child_key)
        }
    if isinstance(value, list):
        return {leaf for child in value for leaf in personal_values(child, key=key)}
    if isinstance(value, str) and len(value.strip()) >= _MIN_KNOWN_LENGTH:
        return {value.strip()}
    return set()
