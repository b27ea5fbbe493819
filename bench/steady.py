"""Webhooks at a steady rate, and the time from each one's acceptance to its customer's e-conomic
number written back to Stripe (the write-back's entry in the Stripe emulator's request log)."""

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from .seed import Merchant, new_customer, signed_headers


def customers_with_events(shop: Merchant, count: int, prefix: str) -> list[tuple[str, dict]]:
    return [
        new_customer(shop, f"{prefix}{n}@{shop.slug}.bench.dk", f"{prefix.title()} {n} ApS")
        for n in range(count)
    ]


def deliver_steady(url: str, batch: list[tuple[str, dict]], rate: float) -> dict[str, float]:
    """POST each event at t0 + i/rate (open loop); returns customer id → acceptance time (epoch)."""
    import requests

    local = threading.local()
    accepted: dict[str, float] = {}

    def post(item: tuple[str, dict], due: float) -> None:
        customer_id, event = item
        time.sleep(max(0.0, due - time.monotonic()))
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        body = json.dumps(event).encode()
        response = session.post(url, data=body, headers=signed_headers(body), timeout=30)
        if response.status_code >= 300:
            raise RuntimeError(f"webhook refused: {response.status_code} {response.text[:200]}")
        accepted[customer_id] = time.time()

    start = time.monotonic() + 0.2
    with ThreadPoolExecutor(max_workers=16) as pool:
        futures = [pool.submit(post, item, start + n / rate) for n, item in enumerate(batch)]
        for future in futures:
            future.result()
    return accepted


def written_back_ms(shop: Merchant, accepted: dict[str, float], timeout: float = 120) -> list[float]:
    """Milliseconds from acceptance to the write-back, per customer, once all are written back."""
    from sandbox.stripe_api.models import RequestLog

    wanted = {f"/v1/customers/{customer_id}": customer_id for customer_id in accepted}
    found: dict[str, datetime] = {}
    deadline = time.monotonic() + timeout
    while len(found) < len(wanted) and time.monotonic() < deadline:
        rows = RequestLog.objects.filter(account=shop.account, method="POST", status=200).values_list(
            "path", "created"
        )
        for path, created in rows:
            for suffix, customer_id in wanted.items():
                if path.endswith(suffix):
                    found.setdefault(customer_id, created)
        if len(found) < len(wanted):
            time.sleep(0.5)
    if len(found) < len(wanted):
        raise RuntimeError(f"only {len(found)} of {len(wanted)} customers were written back in {timeout}s")
    return [
        (found[customer_id] - datetime.fromtimestamp(at, tz=UTC)).total_seconds() * 1000
        for customer_id, at in accepted.items()
    ]
