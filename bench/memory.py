"""memory: the worker's peak RSS while one import runs, read when BENCH_MEMORY_SMALL Stripe customers
are done and again when all BENCH_MEMORY_LARGE are: the growth between them is what the import
holds per customer (a flat import holds nothing). As fast as the stack goes: no added latency, no
rate limit, no write-back, both sides seeded in bulk; every Stripe customer is new to e-conomic
(one create each, so the match index grows with every customer).

The issue asks 10,000 → 100,000. At about 60 customers a second on 2 cores that import alone
takes 25 minutes, past `make bench`'s 15; the default here is 10,000 → 20,000, and
`BENCH_ONLY=memory BENCH_MEMORY_LARGE=100000` measures the full range (docs/benchmarks.md).
"""

import os
import time

from .importing import start
from .seed import merchant


def run(stack) -> dict:
    from customers.models import ImportRun

    small = int(os.environ.get("BENCH_MEMORY_SMALL", "10000"))
    large = int(os.environ.get("BENCH_MEMORY_LARGE", "20000"))
    began = time.monotonic()
    shop = merchant(name=f"memory{large}", stripe_customers=large, write_back=False)
    seeded = time.monotonic() - began
    stack.stop_workers()
    stack.start_workers()  # a fresh pool: its peak is this import's alone
    job = start(shop)
    began = time.monotonic()
    at_small = None
    timeout = float(os.environ.get("BENCH_MEMORY_TIMEOUT", "3600"))
    while time.monotonic() - began < timeout:
        job.refresh_from_db()
        if at_small is None and job.customers_seen >= small:
            at_small = (round(stack.worker_peak_rss_mb(), 1), round(time.monotonic() - began, 1))
        if job.status == ImportRun.Status.FINISHED:
            break
        if job.status not in (ImportRun.Status.QUEUED, ImportRun.Status.RUNNING):
            raise RuntimeError(f"memory: the import ended {job.status}: {job.message}")
        time.sleep(0.5)
    else:
        raise RuntimeError(f"memory: the import did not finish in {timeout:.0f}s ({job.customers_seen} seen)")
    seconds = time.monotonic() - began
    peak_large = round(stack.worker_peak_rss_mb(), 1)
    growth = peak_large - at_small[0]
    return {
        "small_customers": small,
        "large_customers": large,
        "small": {"peak_rss_mb": at_small[0], "import_seconds": at_small[1]},
        "large": {
            "peak_rss_mb": peak_large,
            "seed_seconds": round(seeded, 1),
            "import_seconds": round(seconds, 1),
            "customers_per_second": round(large / seconds, 1),
        },
        "rss_growth_mb": round(growth, 1),
        "goal": "rss_growth_mb <= 100",
        "met": growth <= 100,
    }
