"""Turning the clients' errors into what the sync does next and what the merchant reads.

One place decides which failures can pass (retry later) and words every failure for a merchant.
"""

from syncapp.clients import economic, stripe
from syncapp.connections import NotConnected


class TransientSyncError(Exception):
    """A failure that can pass (throttling, an outage, a lost reply): the task retries it."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


TRANSIENT = (
    economic.Throttled,
    economic.Unavailable,
    economic.Ambiguous,
    stripe.StripeThrottled,
    stripe.StripeUnavailable,
)
PERMANENT = (economic.EconomicError, stripe.StripeError, NotConnected)


def as_transient(exc: Exception) -> TransientSyncError:
    if isinstance(exc, economic.Throttled):
        return TransientSyncError(
            f"e-conomic asked us to slow down; retrying in {exc.retry_after:g} s.",
            retry_after=exc.retry_after,
        )
    if isinstance(exc, economic.Ambiguous):
        return TransientSyncError(
            "e-conomic did not confirm a change in time; the retry searches before it writes again."
        )
    if isinstance(exc, economic.Unavailable):
        return TransientSyncError(f"e-conomic is not answering right now ({exc.message}); retrying.")
    if isinstance(exc, stripe.StripeThrottled):
        return TransientSyncError("Stripe asked us to slow down; retrying.")
    return TransientSyncError(f"Stripe is not answering right now ({exc}); retrying.")


def merchant_message(exc: Exception) -> str:
    """A failure that will not pass by waiting, in words a merchant can act on."""
    if isinstance(exc, NotConnected):
        return str(exc)
    if isinstance(exc, economic.AuthFailed):
        return (
            "e-conomic refused our access to your agreement (the grant may have been revoked): "
            "reconnect e-conomic on the Connections page."
        )
    if isinstance(exc, economic.Rejected):
        details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.field_errors.items())
        return f"e-conomic rejected the customer: {details or exc.message}"
    if isinstance(exc, economic.NotFound):
        return f"e-conomic could not find the customer: {exc.message}"
    if isinstance(exc, stripe.StripeAuthFailed):
        return "Stripe refused our API key: paste a new key on the Connections page."
    if isinstance(exc, stripe.StripeError):
        return f"Stripe refused the request: {exc}"
    if isinstance(exc, economic.EconomicError):
        return f"e-conomic refused the request: {exc.message}"
    return str(exc)
