"""Writing the e-conomic number back to the Stripe customer, and knowing that write's echo.

Our write carries an idempotency key with this prefix; Stripe returns the key in the
`customer.updated` event the write causes, so event processing can leave its own echo alone.
"""

from dataclasses import dataclass

from syncapp.clients.stripe import StripeClient
from syncapp.models import Tenant

from ..errors import PERMANENT, TRANSIENT, merchant_message
from ..models import StripeEvent

IDEMPOTENCY_KEY_PREFIX = "econ-number-"
METADATA = "metadata."


@dataclass(frozen=True)
class WriteBack:
    note: str = ""  # for the record's message, when the number was stored
    warnings: tuple[str, ...] = ()  # when Stripe refused it


def number_write_back(
    *,
    stripe: StripeClient,
    tenant: Tenant,
    stripe_customer_id: str,
    customer: dict,
    field: str | None,
    number: int,
) -> WriteBack:
    """Store the e-conomic number in the chosen Stripe metadata key, if it is not there yet.

    A failure here does not undo the link: it is a warning, and the next sync tries again.
    """
    if not field or not field.startswith(METADATA):
        return WriteBack()
    key, value = field.removeprefix(METADATA), str(number)
    if (customer.get("metadata") or {}).get(key) == value:
        return WriteBack()
    try:
        stripe.update_metadata(
            stripe_customer_id,
            {key: value},
            idempotency_key=f"{IDEMPOTENCY_KEY_PREFIX}{tenant.slug}-{stripe_customer_id}-{value}",
        )
    except (*TRANSIENT, *PERMANENT) as exc:
        warning = (
            f"Could not store the number in Stripe metadata “{key}” ({merchant_message(exc)}); "
            "the next sync of this customer tries again."
        )
        return WriteBack(warnings=(warning,))
    return WriteBack(note=f" Stored the number in Stripe metadata “{key}”.")


def is_own_echo(event: StripeEvent) -> bool:
    """The `customer.updated` our own write-back caused: nothing in it for the sync to do."""
    key = (event.payload.get("request") or {}).get("idempotency_key") or ""
    return event.type == "customer.updated" and key.startswith(IDEMPOTENCY_KEY_PREFIX)
