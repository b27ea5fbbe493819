"""Stripe over the official SDK (`stripe.StripeClient`): plain dicts out, a few typed errors.

HTTP only: no models, no tenants' settings. Messages are written for a merchant and never carry
the API key (Stripe's own 401/403 messages quote part of it, so those are replaced, not passed on).
"""

import contextlib
import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any, NoReturn
from urllib.parse import quote

import stripe
from stripe import oauth_error

from .sessions import api_session

# Stripe's own wording sometimes names a key (masked or not); nothing key-shaped leaves this module.
_KEY_PATTERN = re.compile(r"\b(sk|rk|pk|whsec)_(live_|test_)?[0-9A-Za-z*]{4,}")
LIST_PAGE_SIZE = 100
# The one Stripe API version we speak: every request and the webhook endpoint we register use it,
# so the objects and the events we receive have the shape this code reads.
API_VERSION = "2026-08-26.dahlia"
# The customer events the product syncs: the webhook endpoint we register asks for exactly these.
CUSTOMER_EVENT_TYPES = ("customer.created", "customer.updated", "customer.deleted")


class StripeError(Exception):
    """`message` is fit to show a merchant (in English); `said` is the same as data, a sentence's
    code and its values, or Stripe's own words as they came (`syncapp/said.py` writes it)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        param: str | None = None,
        said: tuple[str, dict] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.param = param
        self.request_id: str | None = None
        self.said = said


class StripeAuthFailed(StripeError):
    """401/403: the key is wrong, revoked, or lacks a permission."""


class StripeNotFound(StripeError):
    """404 `resource_missing`."""


class StripeThrottled(StripeError):
    """429: Stripe's rate limit; the caller backs off (the SDK does not retry it)."""


class StripeUnavailable(StripeError):
    """5xx, timeout or connection error (after the SDK's own network retries)."""


class StripeRejected(StripeError):
    """400: invalid parameters, or an idempotency key reused with other parameters."""


class StripeInvalidSignature(Exception):
    """A webhook whose `Stripe-Signature` is missing, wrong or too old."""


def is_live_key(api_key: str) -> bool:
    return api_key.startswith(("sk_live_", "rk_live_"))


def _scrub(text: str) -> str:
    return _KEY_PATTERN.sub(lambda m: f"{m.group(1)}_••••", text)


class StripeGrantRefused(StripeAuthFailed):
    """OAuth `invalid_grant`: the code or refresh token is used, expired or revoked (the app was
    removed). Asking again with it cannot succeed."""


def _raise_mapped(exc: stripe.StripeError) -> NoReturn:
    error = _mapped(exc)
    # Stripe's support finds a call by its request id: keep it on every error.
    error.request_id = exc.request_id
    raise error from None


def _mapped(exc: stripe.StripeError) -> StripeError:
    if isinstance(exc, oauth_error.OAuthError):
        return _oauth_mapped(exc)
    return _api_mapped(exc)


def _oauth_mapped(exc: oauth_error.OAuthError) -> StripeError:
    status = exc.http_status
    if isinstance(exc, oauth_error.InvalidGrantError):
        # Stripe's description may quote the code or token: never passed on.
        return StripeGrantRefused(
            "Stripe no longer accepts our app's access for this account (it was removed, revoked or "
            "expired): connect with Stripe again.",
            status=status,
            code="invalid_grant",
            said=("stripe_grant_refused", {}),
        )
    return StripeRejected(
        f"Stripe refused the app's request ({exc.code}).",
        status=status,
        code=exc.code,
        said=("stripe_app_refused", {"code": exc.code}),
    )


def _api_mapped(exc: stripe.StripeError) -> StripeError:
    status = exc.http_status
    message = _scrub(exc.user_message or "")
    code = getattr(exc, "code", None)
    param = getattr(exc, "param", None)
    if isinstance(exc, stripe.AuthenticationError):
        return StripeAuthFailed(
            "Stripe did not accept the API key: check that it was copied in full and has not been "
            "revoked or rolled.",
            status=status,
            said=("stripe_key_refused", {}),
        )
    if isinstance(exc, stripe.PermissionError):
        return StripeAuthFailed(
            "The Stripe API key lacks a permission this needs: give the restricted key Customers: "
            "Write, Events: Read and Webhook Endpoints: Write.",
            status=status,
            said=("stripe_key_lacks_permission", {}),
        )
    if isinstance(exc, stripe.RateLimitError):
        return StripeThrottled(
            "Stripe asked us to slow down (rate limit).", status=status, said=("stripe_throttled", {})
        )
    if isinstance(exc, stripe.APIConnectionError):
        return StripeUnavailable(
            "Could not reach Stripe (network error or timeout).", said=("stripe_unreachable", {})
        )
    if status == 409:
        # A lock timeout, or the same idempotency key still running: Stripe says to retry.
        return StripeUnavailable(
            "Stripe was busy with this customer (409, lock timeout).", status=status, said=("stripe_busy", {})
        )
    # Stripe's own words, where it gave any, are passed on as they came.
    own = ("quoted", {"text": message}) if message else None
    if isinstance(exc, stripe.InvalidRequestError) and status == 404:
        return StripeNotFound(
            message or "Stripe could not find it.",
            status=status,
            code=code,
            param=param,
            said=own or ("stripe_not_found", {}),
        )
    if isinstance(exc, stripe.InvalidRequestError | stripe.IdempotencyError):
        return StripeRejected(
            message or "Stripe rejected the request.",
            status=status,
            code=code,
            param=param,
            said=own or ("stripe_rejected", {}),
        )
    if isinstance(exc, stripe.APIError) and (status is None or status >= 500):
        return StripeUnavailable(
            f"Stripe had an internal error (HTTP {status}).",
            status=status,
            said=("stripe_server_error", {"status": status}),
        )
    return StripeError(
        message or f"Stripe answered HTTP {status}.",
        status=status,
        code=code,
        said=own or ("stripe_answered", {"status": status}),
    )


def _plain(obj: Any) -> dict[str, Any]:
    """A StripeObject as plain dicts and lists; an expanded `tax_ids` list object becomes its list.

    The flattening lets settings name `tax_ids.0.value`, as the product's field paths do.
    """
    data = obj.to_dict() if isinstance(obj, stripe.StripeObject) else dict(obj)
    tax_ids = data.get("tax_ids")
    if isinstance(tax_ids, dict) and tax_ids.get("object") == "list":
        data["tax_ids"] = tax_ids.get("data", [])
    return data


# Told of every answer (service, HTTP method, status; None: no answer), e.g. to count calls.
ResponseHook = Callable[[str, str, int | None], None]


class _ObservedRequestsClient(stripe.RequestsClient):
    """The SDK's HTTP client, telling `on_response` of each attempt (its own retries included)."""

    def __init__(self, *, timeout: float, on_response: ResponseHook | None, session=None):
        super().__init__(timeout=timeout, session=session)
        self._on_response = on_response

    def request(self, method, url, headers, post_data=None):
        try:
            answer = super().request(method, url, headers, post_data)
        except Exception:
            self._observed(method, None)
            raise
        self._observed(method, answer[1])
        return answer

    def _observed(self, method: str, status: int | None) -> None:
        if self._on_response is not None:
            # Counting must never fail a call.
            with contextlib.suppress(Exception):
                self._on_response("stripe", method.upper(), status)


class StripeClient:
    def __init__(
        self,
        api_key: str,
        *,
        base_url: str,
        max_network_retries: int,
        timeout: float,
        on_response: ResponseHook | None = None,
        stripe_account: str | None = None,
        livemode: bool | None = None,
    ):
        """`stripe_account`: act on a connected account (the `Stripe-Account` header on every
        call), with our app's access token as `api_key`; its `livemode` is then the grant's."""
        self.livemode = is_live_key(api_key) if livemode is None else livemode
        # A sync's client calls one host: its session reads the environment once (sessions.py).
        self._http = _ObservedRequestsClient(
            timeout=timeout, on_response=on_response, session=api_session(base_url)
        )
        self._client = stripe.StripeClient(
            api_key,
            stripe_account=stripe_account,
            base_addresses={"api": base_url},
            stripe_version=API_VERSION,
            max_network_retries=max_network_retries,
            http_client=self._http,
        )

    def __repr__(self) -> str:
        return f"StripeClient(livemode={self.livemode})"

    def close(self) -> None:
        """Close the kept-alive HTTP connections now rather than when garbage collected."""
        self._http.close()

    def verify(self) -> dict:
        """List one customer: a restricted key with Customers: Write (or Read) may do this."""
        try:
            page = self._client.v1.customers.list(params={"limit": 1})
        except stripe.StripeError as exc:
            _raise_mapped(exc)
        return {"livemode": self.livemode, "customers_visible": bool(page.data)}

    def retrieve_customer(self, customer_id: str) -> dict:
        """The customer with `tax_ids` as a list; a deleted one is `{"id", "object", "deleted": True}`."""
        return self._customer_call("get", customer_id, expand=["tax_ids"])

    def _customer_call(self, method: str, customer_id: str, **params: Any) -> dict:
        """One call on one customer, answered as plain dicts: the SDK's own objects would be built
        only to be turned back into dicts (a sync's hot path; its errors are the same)."""
        try:
            answer = self._client.raw_request(
                method, f"/v1/customers/{quote(customer_id, safe='')}", **params
            )
        except stripe.StripeError as exc:
            _raise_mapped(exc)
        return _plain(answer.data)

    def iter_customers(self) -> Iterator[dict]:
        """Every live customer, newest first, fetched page by page (memory stays bounded)."""
        try:
            page = self._client.v1.customers.list(
                params={"limit": LIST_PAGE_SIZE, "expand": ["data.tax_ids"]}
            )
            for customer in page.auto_paging_iter():
                yield _plain(customer)
        except stripe.StripeError as exc:
            _raise_mapped(exc)

    def customers_page(
        self, *, starting_after: str | None = None, limit: int = LIST_PAGE_SIZE
    ) -> tuple[list[dict], bool]:
        """One page of live customers, newest first, after the cursor; and whether more follow.

        For jobs that save their place (the import): each page is its own request.
        """
        params: dict[str, Any] = {"limit": limit, "expand": ["data.tax_ids"]}
        if starting_after:
            params["starting_after"] = starting_after
        try:
            page = self._client.v1.customers.list(params=params)
        except stripe.StripeError as exc:
            _raise_mapped(exc)
        return [_plain(customer) for customer in page.data], bool(page.has_more)

    def iter_events(self, *, types: str = "customer.*", created_after: int | None = None) -> Iterator[dict]:
        """Stripe's events of `types` created after the timestamp, oldest first.

        Stripe lists newest first and keeps 30 days; the reconciliation wants the oldest first, so
        the pages (bounded by the window since the last event seen) are read and then reversed.
        """
        params: dict[str, Any] = {"limit": LIST_PAGE_SIZE, "type": types}
        if created_after is not None:
            params["created"] = {"gt": int(created_after)}
        try:
            page = self._client.v1.events.list(params=params)
            events = [_plain(event) for event in page.auto_paging_iter()]
        except stripe.StripeError as exc:
            _raise_mapped(exc)
        yield from reversed(events)

    def update_metadata(self, customer_id: str, metadata: dict[str, str], *, idempotency_key: str) -> dict:
        """Merge `metadata` into the customer's (an empty value removes a key).

        The idempotency key makes a retried write a replay, and comes back in the resulting
        `customer.updated` event's `request.idempotency_key`: that is how our own echo is recognised.
        """
        return self._customer_call("post", customer_id, metadata=metadata, idempotency_key=idempotency_key)

    def update_customer(self, customer_id: str, params: dict[str, Any], *, idempotency_key: str) -> dict:
        """Set the given fields (`address` and `metadata` merge key by key, as Stripe does).

        Like `update_metadata`, the idempotency key comes back in the `customer.updated` event.
        """
        return self._customer_call("post", customer_id, **params, idempotency_key=idempotency_key)

    def create_webhook_endpoint(self, *, url: str, events: list[str]) -> dict:
        """Creates the endpoint; the answer's `secret` is shown by Stripe this once only."""
        try:
            endpoint = self._client.v1.webhook_endpoints.create(
                params={"url": url, "enabled_events": events, "api_version": API_VERSION}
            )
        except stripe.StripeError as exc:
            _raise_mapped(exc)
        return _plain(endpoint)

    def delete_webhook_endpoint(self, endpoint_id: str) -> None:
        try:
            self._client.v1.webhook_endpoints.delete(endpoint_id)
        except stripe.StripeError as exc:
            _raise_mapped(exc)

    def list_webhook_endpoints(self) -> list[dict]:
        try:
            page = self._client.v1.webhook_endpoints.list(params={"limit": 100})
            return [_plain(endpoint) for endpoint in page.auto_paging_iter()]
        except stripe.StripeError as exc:
            _raise_mapped(exc)


class StripePlatform:
    """Our Stripe App's own calls, made with the platform's secret key: exchanging an install's
    code and refreshing an account's tokens (`/v1/oauth/token`), and revoking an account's grant
    (Connect's `/oauth/deauthorize`). Answers are plain dicts; the tokens in them are never logged."""

    def __init__(
        self,
        platform_key: str,
        *,
        client_id: str,
        base_url: str,
        connect_base_url: str,
        timeout: float,
        on_response: ResponseHook | None = None,
    ):
        self._http = _ObservedRequestsClient(timeout=timeout, on_response=on_response)
        # No network retries: a refresh token is single use, and a retried refresh whose first
        # answer was lost would present a rotated token (the caller decides, under its lock).
        self._client = stripe.StripeClient(
            platform_key,
            client_id=client_id,
            base_addresses={"api": base_url, "connect": connect_base_url},
            stripe_version=API_VERSION,
            max_network_retries=0,
            http_client=self._http,
        )

    def __repr__(self) -> str:
        return "StripePlatform()"

    def close(self) -> None:
        self._http.close()

    def _token(self, **params: str) -> dict:
        try:
            answer = self._client.raw_request("post", "/v1/oauth/token", **params)
            return _plain(self._client.deserialize(answer, api_mode="V1"))
        except stripe.StripeError as exc:
            _raise_mapped(exc)

    def token_from_code(self, code: str) -> dict:
        """The install's code (single use, 5 minutes) for `access_token`, `refresh_token`,
        `stripe_user_id`, `livemode`, `scope`, `token_type`."""
        return self._token(grant_type="authorization_code", code=code)

    def token_refreshed(self, refresh_token: str) -> dict:
        """A new access token and a new refresh token; the one given is spent."""
        return self._token(grant_type="refresh_token", refresh_token=refresh_token)

    def deauthorize(self, stripe_user_id: str) -> None:
        try:
            self._client.oauth.deauthorize(params={"stripe_user_id": stripe_user_id})
        except stripe.StripeError as exc:
            _raise_mapped(exc)


def construct_event(payload: bytes, sig_header: str, secrets: list[str], tolerance: int = 300) -> dict:
    """Verify a webhook against any of `secrets` (several while one is being rolled); the event.

    Raises `StripeInvalidSignature` for a missing, wrong or stale signature and `ValueError` for a
    body that is not JSON. The raw bytes are verified: never a re-serialised body.
    """
    text = payload.decode("utf-8") if isinstance(payload, bytes) else payload
    # The SDK refuses only old timestamps; one from the future is as suspect (a clock far off, or a
    # signature made to be replayed later), so it is refused past the same tolerance.
    if _signed_at(sig_header) > time.time() + tolerance:
        raise StripeInvalidSignature("The Stripe-Signature timestamp is in the future.")
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(text, sig_header, secret, tolerance)
        except stripe.SignatureVerificationError:
            continue
        # Plain JSON, as `Webhook.construct_event` would parse it, without building Stripe objects
        # only to turn them back into dicts: this is the webhook's hot path.
        return json.loads(text)
    raise StripeInvalidSignature("No signing secret matches the Stripe-Signature header (or it is too old).")


def _signed_at(sig_header: str) -> int:
    """The header's first `t=` timestamp, as the SDK reads it; 0 when there is none (the SDK then
    refuses the header). More than 12 digits is far in the future (int() would refuse 4,300)."""
    stamps = [item.split("=")[1] for item in sig_header.split(",") if item.startswith("t=")]
    value = stamps[0] if stamps else ""
    if not (value.isascii() and value.isdigit()):
        return 0
    return int(value) if len(value) <= 12 else 10**12
