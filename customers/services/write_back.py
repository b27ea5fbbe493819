"""Writing the e-conomic number back to the Stripe customer, and knowing that write's echo.

Our write carries an idempotency key with this prefix; Stripe returns the key in the
`customer.updated` event the write causes, so event processing can leave its own echo alone.
"""

import hashlib
import uuid
from dataclasses import dataclass

from syncapp.clients.stripe import StripeClient
from syncapp.models import Tenant

from ..errors import PERMANENT, TRANSIENT, merchant_facts
from ..explanations import Fact, fact
from ..models import StripeEvent
from .from_economic import TO_STRIPE_KEY_PREFIX

IDEMPOTENCY_KEY_PREFIX = "econ-number-"
METADATA = "metadata."


@dataclass(frozen=True)
class WriteBack:
    note: dict | None = None  # a fact for the record, when the number was stored
    warnings: tuple[Fact, ...] = ()  # when Stripe refused it


def number_write_back(
    *,
    cause: str | None,
    stripe: StripeClient,
    tenant: Tenant,
    stripe_customer_id: str,
    customer: dict,
    field: str | None,
    number: int,
) -> WriteBack:
    """Store the e-conomic number in the chosen Stripe metadata key, if it is not there yet.

    A failure here does not undo the link: it is a warning, and the next sync tries again.
    `cause` (the Stripe event being processed, if any) goes into the idempotency key with what is
    written: a redelivered event replays its write, while a new target key, or the number written
    again after the merchant cleared it, is a new write Stripe really makes.
    """
    if not field or not field.startswith(METADATA):
        return WriteBack()
    key, value = field.removeprefix(METADATA), str(number)
    if (customer.get("metadata") or {}).get(key) == value:
        return WriteBack()
    written = (tenant.slug, stripe_customer_id, key, value, cause or uuid.uuid4().hex)
    digest = hashlib.sha256("\x1f".join(written).encode()).hexdigest()[:40]
    try:
        updated = stripe.update_metadata(
            stripe_customer_id, {key: value}, idempotency_key=f"{IDEMPOTENCY_KEY_PREFIX}{digest}"
        )
    except (*TRANSIENT, *PERMANENT) as exc:
        return _not_stored(key, merchant_facts(exc))
    if (updated.get("metadata") or {}).get(key) != value:
        return _not_stored(key, [fact("number_not_shown")])
    return WriteBack(note=fact("number_stored", key=key))


def _not_stored(key: str, why: list[Fact]) -> WriteBack:
    return WriteBack(warnings=(fact("number_not_stored", key=key, reason=why),))


def is_own_echo(event: StripeEvent) -> bool:
    """The `customer.updated` our own write caused (the number written back, or fields from
    e-conomic): nothing in it for the sync to do."""
    key = (event.payload.get("request") or {}).get("idempotency_key") or ""
    return event.type == "customer.updated" and key.startswith((IDEMPOTENCY_KEY_PREFIX, TO_STRIPE_KEY_PREFIX))
