"""Turning the clients' errors into what the sync does next and what the merchant reads.

One place decides which failures can pass (retry later) and which need the merchant, and, for the
ones that can pass, which service they came from and why: the schedule pauses a tenant's work on a
service that is throttling or down instead of spending the events' attempts on it.
"""

from enum import StrEnum

from syncapp.clients import economic, stripe
from syncapp.connections.clients import NotConnected
from syncapp.connections.common import Service
from syncapp.said import error_facts

from .explanations import Fact, fact, in_english


class Trouble(StrEnum):
    """Why a failure can pass; the schedule treats each its own way."""

    THROTTLED = "throttled"  # 429 or our own rate limit: pause the service for Retry-After
    UNAVAILABLE = "unavailable"  # 5xx, timeout: counts towards pausing the service
    UNCONFIRMED = "unconfirmed"  # a write whose answer was lost: retry soon, search first
    REFUSED = "refused"  # 401/403 while processing events: pause until the merchant reconnects
    UNEXPECTED = "unexpected"  # a bug or an unforeseen error: retried on the same schedule
    WAITING = "waiting"  # another sync is creating this customer: retry shortly, no service at fault


class TransientSyncError(Exception):
    """A failure that can pass (throttling, an outage, a lost reply): the schedule retries it.

    `facts` say why (what an event's error and a pause's note store, written in the reader's
    language); `message` is them in English (logs, the CLI, support)."""

    def __init__(
        self,
        facts: list[Fact],
        *,
        retry_after: float | None = None,
        service: Service | None = None,
        trouble: Trouble = Trouble.UNAVAILABLE,
    ):
        self.facts = facts
        self.message = in_english(facts)
        super().__init__(self.message)
        self.retry_after = retry_after
        self.service = service
        self.trouble = trouble


class StripeAccountUnknown(Exception):
    """Which of a tenant's several Stripe accounts a customer lives in is not known."""

    def __init__(self, accounts: list[str]):
        self.said = ("stripe_account_unknown", {"accounts": accounts})
        self.message = in_english([fact("stripe_account_unknown", accounts=accounts)])
        super().__init__(self.message)


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
        merchant_facts(exc),
        retry_after=getattr(exc, "retry_after", None),
        service=service_of(exc),
        trouble=_trouble_of(exc),
    )


def merchant_facts(exc: Exception) -> list[Fact]:
    """A failure, in words a merchant can act on, as facts (written in the reader's language).

    The clients already word their errors for merchants (`said`); the sync only adds where to fix
    a key. What e-conomic or Stripe said in their own words stays quoted as it came.
    """
    facts = error_facts(exc)
    if isinstance(exc, stripe.StripeAuthFailed):
        facts.append({"code": "paste_working_key", "values": {}})
    return facts


def merchant_message(exc: Exception) -> str:
    """`merchant_facts` in English (logs, the CLI, support)."""
    return in_english(merchant_facts(exc))
