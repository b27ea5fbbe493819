"""import: a Stripe account's customers imported against an e-conomic agreement (half of them
already there), with e-conomic's rate limit set to a known value on the emulator and in our own
throttle: calls against the minimum, seconds against the ceiling the rate limit allows."""

import math
import os
import time

from .seed import merchant

ECONOMIC_PAGE = 1000  # the import preloads e-conomic's customers in pages of this many


def sizes() -> tuple[int, int]:
    customers = int(os.environ.get("BENCH_IMPORT_CUSTOMERS", "10000"))
    return customers, int(os.environ.get("BENCH_IMPORT_ECONOMIC", str(customers)))


def rate() -> int:
    return int(os.environ.get("BENCH_ECONOMIC_RATE", "25"))


def seed_import_merchant(name: str, *, write_back: bool = True, economic: int | None = None):
    customers, economic_customers = sizes()
    economic_customers = economic_customers if economic is None else economic
    return merchant(
        name=name,
        stripe_customers=customers,
        economic_customers=economic_customers,
        overlap=min(customers, economic_customers) // 2 if economic_customers else 0,
        write_back=write_back,
    )


def start(shop):
    from customers.services.imports import import_start

    return import_start(tenant=shop.tenant, started_by="bench")


def wait_finished(run, timeout: float) -> float:
    """Seconds from now until the run is finished; raises if it ends otherwise or times out."""
    from customers.models import ImportRun

    started = time.monotonic()
    while time.monotonic() - started < timeout:
        run.refresh_from_db()
        if run.status == ImportRun.Status.FINISHED:
            return time.monotonic() - started
        if run.status not in (ImportRun.Status.QUEUED, ImportRun.Status.RUNNING):
            raise RuntimeError(f"import ended {run.status}: {run.message}")
        time.sleep(0.25)
    raise RuntimeError(f"import not finished within {timeout:.0f}s ({run.customers_seen} seen)")


def run(stack) -> dict:
    from sandbox.economic_api.models import RequestLogEntry

    customers, economic_customers = sizes()
    shop = seed_import_merchant("import")
    overlap = min(customers, economic_customers) // 2
    mark = RequestLogEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    began = time.monotonic()
    job = start(shop)
    seconds = wait_finished(job, timeout=float(os.environ.get("BENCH_IMPORT_TIMEOUT", "1800")))
    seconds = time.monotonic() - began
    logged = RequestLogEntry.objects.filter(agreement=shop.agreement, id__gt=mark)
    calls = logged.count()
    throttled = logged.filter(status=429).count()
    page_reads = max(1, math.ceil(economic_customers / ECONOMIC_PAGE))
    minimum = page_reads + (customers - overlap)
    ceiling = minimum / stack.economic_rate
    job.refresh_from_db()
    return {
        "customers": customers,
        "economic_customers": economic_customers,
        "overlap": overlap,
        "counts": job.counts,
        "economic_calls": calls,
        "economic_429s": throttled,
        "minimum_calls": minimum,
        "extra_calls": calls - minimum,
        "rate_limit_per_second": stack.economic_rate,
        "latency_ms_per_call": stack.latency_ms,
        "seconds": round(seconds, 1),
        "ceiling_seconds": round(ceiling, 1),
        "rate_ratio": round(ceiling / seconds, 2),
        "peak_rss_mb": round(stack.worker_peak_rss_mb(), 1),
        "goal": "economic_calls <= minimum_calls + 5 and rate_ratio >= 0.9",
        "met": calls <= minimum + 5 and ceiling / seconds >= 0.9,
    }
