"""memory: the worker's peak RSS after importing a small and a large Stripe account (fresh
workers for each), as fast as the stack goes: no added latency, no rate limit, no write-back,
both sides seeded in bulk; every Stripe customer is new to e-conomic (one create each)."""

import os
import time

from .importing import start, wait_finished
from .seed import merchant


def run(stack) -> dict:
    small = int(os.environ.get("BENCH_MEMORY_SMALL", "10000"))
    large = int(os.environ.get("BENCH_MEMORY_LARGE", "100000"))
    stages = {}
    for size in (small, large):
        began = time.monotonic()
        shop = merchant(name=f"memory{size}", stripe_customers=size, write_back=False)
        seeded = time.monotonic() - began
        stack.stop_workers()
        stack.start_workers()  # a fresh pool: its peak is this import's alone
        seconds = wait_finished(start(shop), timeout=float(os.environ.get("BENCH_MEMORY_TIMEOUT", "3600")))
        stages[size] = {
            "peak_rss_mb": round(stack.worker_peak_rss_mb(), 1),
            "seed_seconds": round(seeded, 1),
            "import_seconds": round(seconds, 1),
            "customers_per_second": round(size / seconds, 1),
        }
    growth = stages[large]["peak_rss_mb"] - stages[small]["peak_rss_mb"]
    return {
        "small_customers": small,
        "large_customers": large,
        "small": stages[small],
        "large": stages[large],
        "rss_growth_mb": round(growth, 1),
        "goal": "rss_growth_mb <= 100",
        "met": growth <= 100,
    }
