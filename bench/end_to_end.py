"""end_to_end: webhook accepted → e-conomic customer created and its number written back, at a
steady rate, against the floor: the four round trips no sync can skip (Stripe fetch, e-conomic
search, e-conomic create, Stripe write-back) at the emulators' added latency."""

import os

from .seed import merchant
from .stats import percentile
from .steady import customers_with_events, deliver_steady, written_back_ms

ROUND_TRIPS = 4


def run(stack) -> dict:
    rate = float(os.environ.get("BENCH_E2E_RATE", "20"))
    count = int(os.environ.get("BENCH_E2E_WEBHOOKS", "400"))
    shop = merchant(name="e2e", economic_customers=100)
    batch = customers_with_events(shop, count, "nyt")
    accepted = deliver_steady(f"{stack.web_url}{shop.tenant.webhook_path}", batch, rate)
    times = written_back_ms(shop, accepted)
    floor = ROUND_TRIPS * stack.latency_ms
    p50 = percentile(times, 50)
    return {
        "webhooks": count,
        "rate_per_second": rate,
        "latency_ms_per_call": stack.latency_ms,
        "p50_ms": round(p50, 1),
        "p95_ms": round(percentile(times, 95), 1),
        "max_ms": round(max(times), 1),
        "floor_ms": round(floor, 1),
        "p50_ratio": round(p50 / floor, 2),
        "goal": "p50_ratio <= 1.2",
        "met": p50 / floor <= 1.2,
    }
