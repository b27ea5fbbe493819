"""Whole numbers typed by people (searches, URL and form values): read without surprises.

`str.isdigit()` is also true for "²" and other digits `int()` refuses, and `int()` refuses a string
of more than 4,300 digits; a number that fits neither PostgreSQL's integer nor its bigint makes
the query fail. Every place that turns typed text into a number for a query asks here.
"""

INTEGER_MAX = 2**31 - 1  # PostgreSQL's integer
BIGINT_MAX = 2**63 - 1  # PostgreSQL's bigint


def whole_number(text: str, *, maximum: int = BIGINT_MAX) -> int | None:
    """`text` (surrounding spaces allowed) as a whole number from 0 to `maximum`, else None."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(maximum)):
        return None
    number = int(text)
    return number if number <= maximum else None
