"""The pure core: a Stripe customer + the tenant's settings → e-conomic searches and payloads.

No I/O, no models, no Django settings: the sync, the preview and the import all call
`plan_customer`, and tests can throw any customer at it.
"""

from ..catalog import ECONOMIC_FIELDS
from ..vocabulary import NumberMode, OnEmptyValue
from .matching import match_filter
from .notes import Note
from .payloads import defaults_payload, economic_value, fingerprint
from .stripe_paths import stripe_value
from .types import CustomerPlan, MatchQuery, SyncSettings

CUSTOMER_NUMBER_MIN, CUSTOMER_NUMBER_MAX = 1, 999_999_999


def plan_customer(*, settings: SyncSettings, stripe_customer: dict) -> CustomerPlan:
    customer_id = stripe_customer.get("id") or "(no id)"
    warnings: list[Note] = []
    queries, blocking = _match_queries(settings, stripe_customer, customer_id)
    customer_number, number_problem = _customer_number_of(settings, stripe_customer, customer_id)
    mapped, update_fields = _mapped_fields(settings, stripe_customer, warnings)

    # Warnings about what only a new customer gets (its VAT zone, its name): shown when one is made.
    create_warnings: list[Note] = []
    create_payload = defaults_payload(settings.defaults, stripe_customer, create_warnings)
    create_payload.update(mapped)
    # A created customer must be findable by the rules that looked for it: that is how the retry
    # after a lost create reply finds it instead of creating it a second time.
    for query in queries:
        if (
            query.economic_field not in create_payload
            and ECONOMIC_FIELDS[query.economic_field].kind != "integer"
        ):
            create_payload[query.economic_field] = query.value
    if not create_payload.get("name"):
        fallback = stripe_value(stripe_customer, "email") or customer_id
        # e-conomic requires a name; many Stripe customers (checkout) only have an email.
        create_payload["name"] = fallback[: ECONOMIC_FIELDS["name"].max_length]
        create_warnings.append(Note("no_name", id=customer_id, name=fallback))
    if customer_number is not None:
        create_payload["customerNumber"] = customer_number

    return CustomerPlan(
        match_queries=tuple(queries),
        blocking_error=blocking or number_problem,
        create_payload=create_payload,
        update_fields=update_fields,
        fingerprint=fingerprint(update_fields),
        customer_number=customer_number,
        warnings=tuple(warnings),
        create_warnings=tuple(create_warnings),
    )


def _mapped_fields(
    settings: SyncSettings, stripe_customer: dict, warnings: list[Note]
) -> tuple[dict[str, str], dict[str, str]]:
    """(every mapped value, the kept-updated ones among them)."""
    mapped: dict[str, str] = {}
    update_fields: dict[str, str] = {}
    for mapping in settings.field_mappings:
        if mapping.stripe_field is None:
            continue
        value = economic_value(mapping, stripe_value(stripe_customer, mapping.stripe_field), warnings)
        # An empty Stripe value leaves e-conomic's value alone rather than wiping what a
        # bookkeeper may have typed there.
        if value is None:
            continue
        mapped[mapping.economic_field] = value
        # A field set to flow from e-conomic only is never updated from Stripe: that would overwrite
        # the bookkeeper's fix. A new customer still gets it (there is nothing to overwrite yet).
        if mapping.keep_updated and mapping.to_economic:
            update_fields[mapping.economic_field] = value
    return mapped, update_fields


def _match_queries(
    settings: SyncSettings, stripe_customer: dict, customer_id: str
) -> tuple[list[MatchQuery], Note | None]:
    queries: list[MatchQuery] = []
    for number, rule in enumerate(settings.match_rules, start=1):
        value = stripe_value(stripe_customer, rule.stripe_field)
        if value is None:
            if settings.on_empty_value == OnEmptyValue.FAIL:
                return queries, Note(
                    "match_value_missing", id=customer_id, stripe_path=rule.stripe_field, rule=number
                )
            continue
        if ECONOMIC_FIELDS[rule.economic_field].kind == "integer" and not is_customer_number(value):
            return queries, Note(
                "match_value_not_number",
                id=customer_id,
                value=value,
                stripe_path=rule.stripe_field,
                rule=number,
                economic_name=rule.economic_field,
                least=CUSTOMER_NUMBER_MIN,
                most=CUSTOMER_NUMBER_MAX,
            )
        queries.append(
            MatchQuery(
                number,
                rule.stripe_field,
                rule.economic_field,
                value,
                match_filter(rule.economic_field, value),
            )
        )
    if not queries:
        paths = [rule.stripe_field for rule in settings.match_rules]
        return queries, Note("no_match_fields", id=customer_id, stripe_paths=paths)
    return queries, None


def is_customer_number(text: str) -> bool:
    """A whole number e-conomic takes as a customer number."""
    return text.isascii() and text.isdigit() and CUSTOMER_NUMBER_MIN <= int(text) <= CUSTOMER_NUMBER_MAX


def _customer_number_of(
    settings: SyncSettings, stripe_customer: dict, customer_id: str
) -> tuple[int | None, Note | None]:
    """The number taken from Stripe (mode "stripe"), or the reason it cannot be."""
    path = settings.number_stripe_field
    if settings.number_mode != NumberMode.STRIPE or not path:
        return None, None
    value = stripe_value(stripe_customer, path)
    if value is None:
        return None, Note("number_missing", id=customer_id, stripe_path=path)
    if not is_customer_number(value):
        return None, Note(
            "number_invalid",
            id=customer_id,
            value=value,
            stripe_path=path,
            least=CUSTOMER_NUMBER_MIN,
            most=CUSTOMER_NUMBER_MAX,
        )
    return int(value), None
