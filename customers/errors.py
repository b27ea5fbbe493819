"""Turning the clients' errors into what the sync does next and what the merchant reads.

One place decides which failures can pass (retry later) and which need the merchant, and, for the
ones that can pass, which service they came from and why: the schedule pauses a tenant's work on a
service that is throttling or down instead of spending the events' attempts on it.
"""

from enum import StrEnum

from syncapp.clients import economic, stripe
from syncapp.connections.clients import NotConnected
from syncapp.connections.common import Service


class Trouble(StrEnum):
    """Why a failure can pass; the schedule treats each its own way."""

    THROTTLED = "throttled"  # 429 or our own rate limit: pause the service for Retry-After
    UNAVAILABLE = "unavailable"  # 5xx, timeout: counts towards pausing the service
    UNCONFIRMED = "unconfirmed"  # a write whose answer was lost: retry soon, search first
    REFUSED = "refused"  # 401/403 while processing events: pause until the merchant reconnects
    UNEXPECTED = "unexpected"  # a bug or an unforeseen error: retried on the same schedule
    WAITING = "waiting"  # another sync is creating this customer: retry shortly, no service at fault


class TransientSyncError(Exception):
    """A failure that can pass (throttling, an outage, a lost reply): the schedule retries it."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        service: Service | None = None,
        trouble: Trouble = Trouble.UNAVAILABLE,
    ):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.service = service
        self.trouble = trouble


class StripeAccountUnknown(Exception):
    """Which of a tenant's several Stripe accounts a customer lives in is not known."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


TRANSIENT = (
    economic.EconomicThrottled,
    economic.EconomicUnavailable,
    economic.EconomicWriteUnconfirmed,
    stripe.StripeThrottled,
    stripe.StripeUnavailable,
)
PERMANENT = (economic.EconomicError, stripe.StripeError, NotConnected, StripeAccountUnknown)
REFUSED = (economic.EconomicAuthFailed, stripe.StripeAuthFailed)


def service_of(exc: Exception) -> Service | None:
    if isinstance(exc, economic.EconomicError):
        return Service.ECONOMIC
    if isinstance(exc, stripe.StripeError):
        return Service.STRIPE
    return None


def _trouble_of(exc: Exception) -> Trouble:
    if isinstance(exc, economic.EconomicThrottled | stripe.StripeThrottled):
        return Trouble.THROTTLED
    if isinstance(exc, economic.EconomicWriteUnconfirmed):
        return Trouble.UNCONFIRMED
    if isinstance(exc, REFUSED):
        return Trouble.REFUSED
    return Trouble.UNAVAILABLE


def as_transient(exc: Exception) -> TransientSyncError:
    return TransientSyncError(
        merchant_message(exc),
        retry_after=getattr(exc, "retry_after", None),
        service=service_of(exc),
        trouble=_trouble_of(exc),
    )


def merchant_message(exc: Exception) -> str:
    """A failure that will not pass by waiting, in words a merchant can act on.

    The clients already word their errors for merchants; the sync only adds where to fix a key.
    """
    if isinstance(exc, stripe.StripeAuthFailed):
        return f"{_message(exc)} Paste a working key on the Connections page."
    return _message(exc)


def _message(exc: Exception) -> str:
    return getattr(exc, "message", None) or str(exc)
