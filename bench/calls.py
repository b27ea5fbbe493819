"""calls: e-conomic and Stripe calls per sync, counted in the emulators' request logs, one
webhook at a time, against the minimum each kind of sync cannot do without (docs/benchmarks.md)."""

import json
import os
import time

from .seed import latest_event, merchant, new_customer, signed_headers

# Per customer: (e-conomic, Stripe). Why each is the least possible: docs/benchmarks.md.
MINIMUM = {
    "matched": (1, 2),  # e-conomic search by e-mail; Stripe fetch + number write-back
    "created": (2, 2),  # e-conomic search + create; Stripe fetch + number write-back
    "linked-unchanged": (0, 1),  # Stripe fetch (the event may be stale); nothing to write
    "updated": (2, 1),  # e-conomic GET + PUT (a PUT replaces the whole customer); Stripe fetch
    "echo": (0, 0),  # our own write-back's event: recognised from its idempotency key
}


def run(stack) -> dict:
    each = int(os.environ.get("BENCH_CALLS_EACH", "5"))
    shop = merchant(name="calls", economic_customers=each + 10, overlap=each)
    url = f"{stack.web_url}{shop.webhook_path}"
    measured = {name: [0, 0] for name in MINIMUM}
    for n in range(each):
        customer_id, event = new_customer(shop, f"ny{n}@{shop.slug}.bench.dk", f"Ny {n} ApS")
        _count(shop, url, event, measured["created"])
        _count(shop, url, latest_event(shop, customer_id, "customer.updated"), measured["echo"])
        _update(shop, customer_id, {"metadata": {"bench_note": f"note {n}"}})
        _count(shop, url, latest_event(shop, customer_id, "customer.updated"), measured["linked-unchanged"])
        _update(shop, customer_id, {"name": f"Omdøbt {n} ApS"})
        _count(shop, url, latest_event(shop, customer_id, "customer.updated"), measured["updated"])
        _, event = new_customer(shop, shop.shared_email(n), f"Kendt {n} ApS")
        _count(shop, url, event, measured["matched"])
    rows = {}
    for name, (economic, stripe) in measured.items():
        least = MINIMUM[name]
        rows[name] = {
            "customers": each,
            "measured": {"economic": round(economic / each, 2), "stripe": round(stripe / each, 2)},
            "minimum": {"economic": least[0], "stripe": least[1]},
        }
    total_measured = sum(sum(v) for v in measured.values())
    total_minimum = sum(sum(v) for v in MINIMUM.values()) * each
    ratio = total_measured / total_minimum
    return {**rows, "ratio": round(ratio, 2), "goal": "ratio == 1.00", "met": round(ratio, 2) == 1.0}


def _update(shop, customer_id: str, params: dict) -> None:
    from django.db import transaction

    from sandbox.stripe_api import services

    with transaction.atomic():
        services.customer_update(shop.caller, customer_id, params)


def _count(shop, url: str, event: dict, into: list[int]) -> None:
    """Deliver one event, wait until it is processed, add the calls it cost."""
    import requests

    from customers.models import StripeEvent
    from sandbox.economic_api.models import RequestLogEntry
    from sandbox.stripe_api.models import RequestLog

    economic_mark = RequestLogEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    stripe_mark = RequestLog.objects.order_by("-id").values_list("id", flat=True).first() or 0
    body = json.dumps(event).encode()
    response = requests.post(url, data=body, headers=signed_headers(body), timeout=30)
    response.raise_for_status()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        stored = StripeEvent.objects.for_tenant(shop.tenant).filter(stripe_event_id=event["id"]).first()
        if stored is not None and stored.status != StripeEvent.Status.PENDING:
            break
        time.sleep(0.05)
    else:
        raise RuntimeError(f"event {event['id']} was not processed within 60 s")
    into[0] += RequestLogEntry.objects.filter(agreement=shop.agreement, id__gt=economic_mark).count()
    into[1] += RequestLog.objects.filter(account=shop.account, id__gt=stripe_mark).count()
