"""What a signed Stripe event must look like before it is stored: Stripe's own events always do,
so anything else is refused with a 400 naming the field (a signed body is not a sane one: the
secret may be leaked, or a test may sign junk). Storing junk would fail in the database instead,
as a 500: PostgreSQL refuses NUL characters and lone surrogates, columns have lengths, and a
timestamp must be a date."""

from datetime import UTC, datetime

from syncapp.clients.stripe import CUSTOMER_EVENT_TYPES

from .models import StripeEvent

# Every timestamp Stripe sends is seconds since 1970; beyond this it is no date PostgreSQL keeps.
LATEST_TIMESTAMP = int(datetime(9999, 12, 31, tzinfo=UTC).timestamp())


def _max_length(field: str) -> int:
    return StripeEvent._meta.get_field(field).max_length


def _text_problem(value: object, where: str, *, max_length: int, required: bool) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        return f"{where} must be {'a non-empty' if required else 'a'} string."
    if len(value) > max_length:
        return f"{where} is longer than {max_length} characters."
    return None


def _unstorable(value: object, where: str) -> str | None:
    """The first string (or key) PostgreSQL would refuse: a NUL character, or a lone surrogate."""
    if isinstance(value, str):
        if "\x00" in value:
            return f"{where} holds a NUL character."
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return f"{where} holds a character that is not valid Unicode."
        return None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        problem = _unstorable(key, f"{where} (a key)") or _unstorable(item, f"{where}.{key}")
        if problem:
            return problem
    return None


def event_refusal(event: dict) -> str | None:
    """Why this verified event cannot be stored, in one sentence; None when it can."""
    checks = (
        _text_problem(event.get("id"), "id", max_length=_max_length("stripe_event_id"), required=True),
        _text_problem(event.get("type"), "type", max_length=_max_length("type"), required=True),
        _text_problem(event.get("account"), "account", max_length=_max_length("account"), required=False),
        _created_problem(event.get("created")),
        _object_problem(event.get("data"), synced=event.get("type") in CUSTOMER_EVENT_TYPES),
        _unstorable(event, "event"),
    )
    return next((problem for problem in checks if problem), None)


def _created_problem(created: object) -> str | None:
    if isinstance(created, bool) or not isinstance(created, int) or not 0 <= created <= LATEST_TIMESTAMP:
        return "created must be a Unix timestamp (whole seconds)."
    return None


def _object_problem(data: object, *, synced: bool) -> str | None:
    """A customer event carries the customer in `data.object`; other types are stored unread, but
    what they have there must still be objects (the store and the admin read them as such)."""
    if data is None and not synced:
        return None
    if not isinstance(data, dict):
        return "data must be an object."
    if data.get("object") is None and not synced:
        return None
    if not isinstance(data.get("object"), dict):
        return "data.object must be an object."
    object_id = data["object"].get("id")
    return _text_problem(
        object_id, "data.object.id", max_length=_max_length("stripe_customer_id"), required=synced
    )
