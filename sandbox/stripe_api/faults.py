"""Stripe's transient error answers on demand: 429 rate limits, 500s and lock timeouts.

A fault answers a matching request before it runs (nothing is written, no idempotent result is
kept), per account or for every account, for the next N requests or each with a probability.
Counts are used up with a conditional UPDATE, so concurrent requests never both take the last one.
"""

import random
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q

from .models import Account, Fault
from .params import ApiError, as_int, invalid


@dataclass(frozen=True)
class Kind:
    status: int
    type: str
    code: str | None
    message: str
    should_retry: str = ""  # the Stripe-Should-Retry header sent unless the fault sets its own


KINDS = {
    "rate_limit": Kind(
        429,
        "invalid_request_error",
        "rate_limit",
        "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
    ),
    "api_error": Kind(500, "api_error", None, "An unknown error occurred"),
    # The brief asks for 409; Stripe's rate-limit page gives lock timeouts as 429 (status=429).
    "lock_timeout": Kind(
        409,
        "invalid_request_error",
        "lock_timeout",
        "This object cannot be accessed right now because another API request or Stripe process is "
        "currently accessing it. If you see this error intermittently, retry the request. If you see "
        "this error frequently and are making multiple concurrent requests to a single object, make "
        "your requests serially or at a lower rate. See https://stripe.com/docs/rate-limits for more "
        "details.",
        should_retry="true",
    ),
}
STATUSES = (409, 429, 500, 502, 503, 504)


class InjectedFault(ApiError):
    """An error answer a test asked for, not one the request earned."""

    def __init__(self, fault: Fault):
        kind = KINDS[fault.kind]
        super().__init__(fault.status, kind.message, type=kind.type, code=kind.code)
        should_retry = fault.should_retry or kind.should_retry
        if should_retry:
            self.headers["Stripe-Should-Retry"] = should_retry
        self.fault = f"{fault.kind} {fault.status}"


def fault_add(account: Account | None, kind: str, **options: Any) -> Fault:
    """A fault for `account` (None: every account); options as `params_to_options` returns them."""
    if kind not in KINDS:
        raise invalid(f"Invalid kind: must be one of {', '.join(KINDS)}", param="kind")
    options.setdefault("status", KINDS[kind].status)
    return Fault.objects.create(account=account, kind=kind, **options)


def faults_clear(account: Account | None) -> int:
    deleted, _ = Fault.objects.filter(account=account).delete()
    return deleted


def params_to_options(params: dict[str, Any]) -> dict[str, Any]:
    """Form parameters of `POST /_control/faults` → `fault_add` options (validated)."""
    options: dict[str, Any] = {}
    if "status" in params:
        options["status"] = _status(params["status"])
    if "count" in params:
        options["remaining"] = as_int(params["count"], "count", low=1, high=100_000)
    if "rate" in params:
        options["rate"] = _rate(params["rate"])
    if "remaining" not in options and "rate" not in options:
        options["remaining"] = 1  # an unbounded fault that always fires is never what a test wants
    options.update(_text_options(params))
    return options


def _status(raw: Any) -> int:
    status = as_int(raw, "status")
    if status not in STATUSES:
        raise invalid(f"Invalid status: must be one of {', '.join(map(str, STATUSES))}", param="status")
    return status


def _rate(raw: Any) -> float:
    try:
        rate = float(raw)
    except ValueError:
        raise invalid("rate must be a number.", param="rate") from None
    if not 0 < rate <= 1:
        raise invalid("rate must be more than 0 and at most 1.", param="rate")
    return rate


def _text_options(params: dict[str, Any]) -> dict[str, str]:
    """`seed`, `method`, `path` and `should_retry`; an empty one is left unset."""
    options = {
        name: str(params[name]) for name in ("seed", "method", "path", "should_retry") if params.get(name)
    }
    if options.get("should_retry") not in (None, "true", "false"):
        raise invalid("should_retry must be true or false.", param="should_retry")
    if "method" in options:
        options["method"] = options["method"].upper()
    return options


def fault_render(fault: Fault) -> dict[str, Any]:
    return {
        "id": fault.pk,
        "scope": "account" if fault.account_id else "global",
        "kind": fault.kind,
        "status": fault.status,
        "remaining": fault.remaining,
        "rate": fault.rate,
        "seed": fault.seed or None,
        "method": fault.method or None,
        "path": fault.path or None,
        "should_retry": fault.should_retry or None,
    }


def faults_list(account: Account) -> list[dict[str, Any]]:
    rows = Fault.objects.filter(Q(account=account) | Q(account=None)).order_by("id")
    return [fault_render(f) for f in rows]


# The faults that may answer a request of `account`, oldest first: the account's and the global
# ones not used up (`remaining` null is unbounded). Written out because it runs before every API
# call, and the ORM's building of it cost more CPU than the query itself; the bench's emulators
# share their machine with the product, so that CPU is the product's loss.
_CANDIDATES = (
    f"SELECT * FROM {Fault._meta.db_table} WHERE (account_id = %s OR account_id IS NULL)"
    " AND (remaining IS NULL OR remaining <> 0) ORDER BY id"
)


def check(account: Account, method: str, path: str) -> None:
    """Raise the first due fault for this request (`path` as Stripe writes it: `/v1/...`)."""
    for fault in Fault.objects.raw(_CANDIDATES, [account.pk]):
        if fault.method and fault.method != method:
            continue
        if fault.path and not path.startswith(fault.path):
            continue
        if _due(fault):
            raise InjectedFault(fault)


def _due(fault: Fault) -> bool:
    Fault.objects.filter(pk=fault.pk).update(seen=F("seen") + 1)
    if fault.rate < 1:
        draw = random.Random(f"{fault.seed}:{fault.seen}").random() if fault.seed else random.random()
        if draw >= fault.rate:
            return False
    if fault.remaining is None:
        return True
    return Fault.objects.filter(pk=fault.pk, remaining__gt=0).update(remaining=F("remaining") - 1) == 1
