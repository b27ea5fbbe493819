"""Turning the clients' errors into what the sync does next and what the merchant reads.

One place decides which failures can pass (retry later) and which need the merchant.
"""

from syncapp.clients import economic, stripe
from syncapp.connections.clients import NotConnected


class TransientSyncError(Exception):
    """A failure that can pass (throttling, an outage, a lost reply): the task retries it."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


TRANSIENT = (
    economic.EconomicThrottled,
    economic.EconomicUnavailable,
    economic.EconomicWriteUnconfirmed,
    stripe.StripeThrottled,
    stripe.StripeUnavailable,
)
PERMANENT = (economic.EconomicError, stripe.StripeError, NotConnected)


def as_transient(exc: Exception) -> TransientSyncError:
    return TransientSyncError(_message(exc), retry_after=getattr(exc, "retry_after", None))


def merchant_message(exc: Exception) -> str:
    """A failure that will not pass by waiting, in words a merchant can act on.

    The clients already word their errors for merchants; the sync only adds where to fix a key.
    """
    if isinstance(exc, stripe.StripeAuthFailed):
        return f"{_message(exc)} Paste a working key on the Connections page."
    return _message(exc)


def _message(exc: Exception) -> str:
    return getattr(exc, "message", None) or str(exc)
