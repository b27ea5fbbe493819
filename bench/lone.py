"""lone: the product as shipped, one webhook at a time. Webhook accepted → e-conomic customer
created and its number written back, with our e-conomic throttle at its default settings (no
bench knob) and nothing else running, against the same floor as `end_to_end` (the four round
trips made back to back by a bare client). Issue 22: within 1.2 × the floor; a throttle that
spaced a lone sync's calls (no burst) would show here as 200 ms per call."""

import os
import statistics

from .end_to_end import measure_floor
from .seed import merchant
from .steady import customers_with_events, deliver_steady, written_back_ms


def run(stack) -> dict:
    count = int(os.environ.get("BENCH_LONE_WEBHOOKS", "20"))
    shop = merchant(name="lone", economic_customers=100)
    floor = measure_floor(stack, shop, int(os.environ.get("BENCH_E2E_FLOOR_SAMPLES", "10")))
    times: list[float] = []
    for item in customers_with_events(shop, count, "ene"):
        # The next webhook only once this one's number is written back: never two at once.
        accepted = deliver_steady(f"{stack.web_url}{shop.webhook_path}", [item], rate=1.0)
        times += written_back_ms(shop, accepted)
    p50 = statistics.median(times)
    return {
        "webhooks": count,
        "latency_ms_per_call": stack.latency_ms,
        "p50_ms": round(p50, 1),
        "max_ms": round(max(times), 1),
        "floor_ms": round(floor, 1),
        "p50_ratio": round(p50 / floor, 2),
        "goal": "p50_ratio <= 1.2",
        "met": p50 / floor <= 1.2,
    }
