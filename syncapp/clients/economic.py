"""A thin typed client for the e-conomic REST API: HTTP only, no models, no tenants' settings.

Every call waits for the agreement's rate limiter, carries a timeout, and turns failures into a
few exception classes that say what to do next. The grant token is a secret: it goes in a header
and nowhere else (not in messages, not in logs).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NewConnectionError

from .budget import BudgetSpent, DailyBudget
from .ratelimit import RateLimiter, RateLimitWait
from .sessions import api_session

logger = logging.getLogger(__name__)

# e-conomic's page size limit; the fastest way through a collection.
MAX_PAGE_SIZE = 1000
# When a 429 comes without Retry-After (the limits are not published), every worker holds this
# agreement's calls this long; the failed sync itself backs off exponentially with jitter.
PAUSE_WITHOUT_RETRY_AFTER = 1.0
_ESCAPES = {char: f"${char}" for char in "$()*,[]"}
_WRITES = ("POST", "PUT", "PATCH", "DELETE")
# Told of every answer (service, HTTP method, status; None: no answer), e.g. to count calls.
ResponseHook = Callable[[str, str, int | None], None]


class EconomicError(Exception):
    """Base of all e-conomic failures; `message` is fit to show a merchant (in English).

    `said` is the same as data, a sentence's code and its values (e-conomic's own words among them
    as they came), so a page writes the sentence in its reader's language (`syncapp/said.py`).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        log_id: str | None = None,
        said: tuple[str, dict] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.log_id = log_id
        self.said = said


class EconomicRejected(EconomicError):
    """400: e-conomic refused the data or the filter; fixing the data is needed, not a retry."""

    def __init__(self, message: str, *, field_errors: dict[str, list[str]], **kwargs: Any):
        super().__init__(message, **kwargs)
        self.field_errors = field_errors


class EconomicNotFound(EconomicError):
    """404."""


class EconomicAuthFailed(EconomicError):
    """401 / 403: the grant was revoked or does not allow this; the merchant must reconnect."""


class EconomicThrottled(EconomicError):
    """429: too many calls for this agreement; try again after `retry_after` seconds (None when
    e-conomic did not say: back off exponentially)."""

    def __init__(self, message: str, *, retry_after: float | None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class EconomicBudgetSpent(EconomicThrottled):
    """Our count of the agreement's daily budget says no more calls now (for this kind of work):
    the next may go in `retry_after` seconds, when the rolling 24 hours free one."""


class EconomicUnavailable(EconomicError):
    """5xx, or a read that timed out or lost its connection: safe to retry later."""


class EconomicWriteUnconfirmed(EconomicError):
    """A POST/PUT whose answer was lost: it may have been applied, so look before writing again."""


def budget_message(exc: BudgetSpent) -> str:
    """Why a call waits for the daily budget, in a merchant's words."""
    hours, minutes = divmod(_budget_minutes(exc), 60)
    when = f"{hours} h {minutes} min" if hours else f"{minutes} min"
    if exc.background:
        return (
            f"e-conomic allows {exc.limit:,} calls per 24 hours for this agreement and {exc.used:,} are "
            f"used: work that can wait (imports) pauses here, keeping the rest for new customers; it "
            f"continues by itself in about {when}."
        )
    return (
        f"e-conomic's daily budget for this agreement is used up ({exc.used:,} of {exc.limit:,} calls in 24 "
        f"hours): syncs pause and resume by themselves in about {when}, as the 24 hours free calls."
    )


def _budget_minutes(exc: BudgetSpent) -> int:
    return max(1, round(exc.seconds / 60))


def _budget_said(exc: BudgetSpent) -> tuple[str, dict]:
    code = "economic_budget_background" if exc.background else "economic_budget_spent"
    return code, {"limit": exc.limit, "used": exc.used, "minutes": _budget_minutes(exc)}


def escape_filter_value(value: str) -> str:
    """Escape the characters the filter language reserves, as e-conomic documents."""
    return "".join(_ESCAPES.get(char, char) for char in value)


def filter_equals(field: str, value: str) -> str:
    """An `$eq:` filter on a trimmed, escaped value (a stray space would otherwise miss)."""
    return f"{field}$eq:{escape_filter_value(value.strip())}"


def validation_errors(errors: Any, where: str = "") -> dict[str, list[str]]:
    """Every `errorMessage` in an error body's `errors`, by the dotted place it names.

    e-conomic shapes `errors` like the request: a dict keyed by field, nested as the request's
    objects nest, or lists of such (seen from production), so nothing here assumes one flat level.
    """
    found: dict[str, list[str]] = {}

    def add(place: str, messages: list[str]) -> None:
        found.setdefault(place or "request", []).extend(messages)

    if isinstance(errors, list):
        for item in errors:
            for place, messages in validation_errors(item, where).items():
                add(place, messages)
    elif isinstance(errors, dict):
        if "errorMessage" in errors:
            add(where or str(errors.get("propertyName") or ""), [str(errors["errorMessage"])])
        for key, value in errors.items():
            if isinstance(value, dict | list):
                inner = where if key == "errors" else ".".join(p for p in (where, key) if p)
                for place, messages in validation_errors(value, inner).items():
                    add(place, messages)
    return found


def _retry_after_seconds(header: str | None) -> float | None:
    """Retry-After in seconds (a number or an HTTP date), or None when absent or unreadable."""
    if not header:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(header) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def _never_sent(exc: requests.RequestException) -> bool:
    """Connect timeout, refused connection or unknown host: the request never left us."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    # requests wraps urllib3's MaxRetryError, whose `reason` says what failed.
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


class EconomicClient:
    def __init__(
        self,
        grant_token: str,
        *,
        base_url: str,
        app_secret_token: str,
        rate_key: str,
        timeout: float,
        limiter: RateLimiter,
        budget: DailyBudget | None = None,
        background: bool = False,
        on_response: ResponseHook | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        # Every call counts against the agreement's daily budget; work that can wait (`background`)
        # may spend only the budget's background share.
        self.budget = budget
        self.background = background
        self.on_response = on_response
        self.rate_key = rate_key
        self.timeout = timeout
        self.limiter = limiter
        self.session = api_session(self.base_url)
        self.session.headers.update(
            {
                "X-AppSecretToken": app_secret_token,
                "X-AgreementGrantToken": grant_token,
                "Accept": "application/json",
            }
        )

    def close(self) -> None:
        """Release pooled connections (a kept-alive one pins a server thread until it times out)."""
        self.session.close()

    def __repr__(self) -> str:
        return f"<EconomicClient {self.base_url} rate_key={self.rate_key}>"

    # --- the API -------------------------------------------------------------------------

    def self_info(self) -> dict:
        return self._request("GET", "/self")

    def search_customers(self, filter: str) -> list[dict]:
        return list(self.iter_customers(filter=filter))

    def iter_customers(self, *, filter: str | None = None, page_size: int = MAX_PAGE_SIZE) -> Iterator[dict]:
        """Every customer (that `filter` admits), by customer number, one call a page.

        Pages by `customerNumber$gt:<last seen>` instead of following `skippages`: that is right at
        any size, even where classic paging stops at 10,000 items, and a customer created meanwhile
        cannot shift a page and be skipped.
        """
        # `$and:` binds tighter than `$or:`: a filter with alternatives is kept whole.
        scope = f"({filter})" if filter and "$or:" in filter else filter
        last_number = None
        while True:
            after = f"customerNumber$gt:{last_number}" if last_number is not None else None
            params: dict[str, Any] = {"pagesize": page_size, "sort": "customerNumber"}
            if scope or after:
                params["filter"] = "$and:".join(p for p in (after, scope) if p)
            page = self._request("GET", "/customers", params=params)
            customers = page.get("collection", [])
            yield from customers
            if not customers or not page.get("pagination", {}).get("nextPage"):
                return
            last_number = customers[-1]["customerNumber"]

    def newest_customer_update(self, *, pagesize: int = 1000) -> tuple[str | None, list[int]]:
        """The latest `lastUpdated` of any customer, or None when there are none, and the numbers of
        the customers updated at that very second (one call: the newest `pagesize` of them): where a
        read of changes starts without reading what happened before it."""
        page = self._request("GET", "/customers", params={"pagesize": pagesize, "sort": "-lastUpdated"})
        customers = page.get("collection", [])
        newest = customers[0].get("lastUpdated") if customers else None
        return newest, [c["customerNumber"] for c in customers if c.get("lastUpdated") == newest]

    def get_customer(self, number: int) -> dict:
        return self._request("GET", f"/customers/{int(number)}")

    def create_customer(self, payload: dict) -> dict:
        return self._request("POST", "/customers", json=payload)

    def update_customer(self, number: int, payload: dict) -> dict:
        """PUT replaces the whole customer: send every field to keep, not only the changed ones."""
        return self._request(
            "PUT", f"/customers/{int(number)}", json={**payload, "customerNumber": int(number)}
        )

    def payment_terms(self) -> list[dict]:
        return list(self._iter_collection("/payment-terms", {"pagesize": MAX_PAGE_SIZE}))

    def customer_groups(self) -> list[dict]:
        return list(self._iter_collection("/customer-groups", {"pagesize": MAX_PAGE_SIZE}))

    def vat_zones(self) -> list[dict]:
        return list(self._iter_collection("/vat-zones", {"pagesize": MAX_PAGE_SIZE}))

    def currencies(self) -> list[dict]:
        return list(self._iter_collection("/currencies", {"pagesize": MAX_PAGE_SIZE}))

    def layouts(self) -> list[dict]:
        return list(self._iter_collection("/layouts", {"pagesize": MAX_PAGE_SIZE}))

    # --- plumbing ------------------------------------------------------------------------

    def _iter_collection(self, path: str, params: dict[str, Any]) -> Iterator[dict]:
        page = self._request("GET", path, params=params)
        while True:
            yield from page.get("collection", [])
            next_page = page.get("pagination", {}).get("nextPage")
            if not next_page:
                return
            page = self._request("GET", self._same_origin(next_page))

    def _same_origin(self, url: str) -> str:
        # The tokens go wherever nextPage points: follow it only to the API we were given.
        if urlsplit(url)[:2] != urlsplit(self.base_url)[:2]:
            raise EconomicUnavailable(
                "e-conomic answered with a next page on another server; stopped there.",
                said=("economic_foreign_page", {}),
            )
        return url

    def _request(
        self, method: str, path_or_url: str, *, params: dict[str, Any] | None = None, json: Any = None
    ) -> Any:
        url = path_or_url if path_or_url.startswith(("http://", "https://")) else self.base_url + path_or_url
        path = urlsplit(url).path
        try:
            self.limiter.acquire(self.rate_key)
        except RateLimitWait as exc:
            wait = max(1, round(exc.seconds))
            raise EconomicThrottled(
                f"Calls to e-conomic are paced for this agreement; trying again in {wait} seconds.",
                retry_after=exc.seconds,
                said=("economic_paced", {"seconds": wait}),
            ) from exc
        self._spend()
        try:
            response = self.session.request(method, url, params=params, json=json, timeout=self.timeout)
        except (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            self._observed(method, None)
            logger.warning("e-conomic %s %s failed: %s", method, path, type(exc).__name__)
            if method in _WRITES and not _never_sent(exc):
                raise EconomicWriteUnconfirmed(
                    "e-conomic did not confirm the change (the connection was lost); "
                    "we will check whether it was made before trying again.",
                    said=("economic_write_lost", {}),
                ) from exc
            raise EconomicUnavailable(
                "e-conomic is not answering right now; we will try again.", said=("economic_no_answer", {})
            ) from exc
        self._observed(method, response.status_code)
        logger.debug("e-conomic %s %s -> %s", method, path, response.status_code)
        if response.status_code >= 400:
            raise self._error(response)
        if response.status_code == 204 or not response.content:
            return {}
        try:
            return response.json()
        except ValueError as exc:
            if method in _WRITES:
                raise EconomicWriteUnconfirmed(
                    "e-conomic sent an unreadable answer to a change; we will check it.",
                    said=("economic_write_unreadable", {}),
                ) from exc
            raise EconomicUnavailable(
                "e-conomic sent an unreadable answer; we will try again.", said=("economic_unreadable", {})
            ) from exc

    def _spend(self) -> None:
        if self.budget is None:
            return
        try:
            self.budget.spend(self.rate_key, background=self.background)
        except BudgetSpent as exc:
            raise EconomicBudgetSpent(
                budget_message(exc), retry_after=exc.seconds, said=_budget_said(exc)
            ) from exc

    def _observed(self, method: str, status: int | None) -> None:
        if self.on_response is not None:
            # Counting must never fail a call.
            with contextlib.suppress(Exception):
                self.on_response("economic", method, status)

    def _error(self, response: requests.Response) -> EconomicError:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        log_id = body.get("logId")
        detail = body.get("message") or response.reason or f"HTTP {status}"
        if status == 400:
            field_errors = validation_errors(body.get("errors"))
            reasons = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in field_errors.items())
            return EconomicRejected(
                f"e-conomic refused the request: {reasons or detail}",
                field_errors=field_errors,
                status=status,
                log_id=log_id,
                said=("economic_refused_request", {"detail": reasons or detail}),
            )
        if status in (401, 403):
            return EconomicAuthFailed(
                f"e-conomic refused access ({detail}): reconnect e-conomic on the Connections page.",
                status=status,
                log_id=log_id,
                said=("economic_refused_access", {"detail": detail}),
            )
        if status == 404:
            return EconomicNotFound(
                f"e-conomic does not have it ({detail}).",
                status=status,
                log_id=log_id,
                said=("economic_not_found", {"detail": detail}),
            )
        if status == 429:
            retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
            self.limiter.pause(self.rate_key, retry_after or PAUSE_WITHOUT_RETRY_AFTER)
            when = f"in {retry_after:g} seconds" if retry_after is not None else "shortly"
            said = (
                ("economic_throttled_for", {"seconds": f"{retry_after:g}"})
                if retry_after is not None
                else ("economic_throttled", {})
            )
            return EconomicThrottled(
                f"e-conomic asked us to slow down; trying again {when}.",
                retry_after=retry_after,
                status=status,
                log_id=log_id,
                said=said,
            )
        if status >= 500:
            return EconomicUnavailable(
                f"e-conomic had a problem (HTTP {status}); we will try again.",
                status=status,
                log_id=log_id,
                said=("economic_server_error", {"status": status}),
            )
        return EconomicError(
            f"e-conomic answered HTTP {status}: {detail}",
            status=status,
            log_id=log_id,
            said=("economic_answered", {"status": status, "detail": detail}),
        )
