"""fairness: tenant B's webhook → created p95 alone, then while tenant A runs an import on the
same workers; A's import is cancelled afterwards."""

import os
import time

from .importing import seed_import_merchant, start
from .seed import merchant
from .stats import percentile
from .steady import customers_with_events, deliver_steady, written_back_ms


def _b_phase(stack, shop, prefix: str) -> list[float]:
    rate = float(os.environ.get("BENCH_FAIRNESS_RATE", "5"))
    count = int(os.environ.get("BENCH_FAIRNESS_WEBHOOKS", "100"))
    batch = customers_with_events(shop, count, prefix)
    accepted = deliver_steady(f"{stack.web_url}{shop.webhook_path}", batch, rate)
    return written_back_ms(shop, accepted, timeout=600)


def run(stack) -> dict:
    from customers.models import ImportRun
    from customers.services.imports import import_cancel

    tenant_a = seed_import_merchant("fairness-a")
    tenant_b = merchant(name="fairness-b", economic_customers=100)
    alone = _b_phase(stack, tenant_b, "alene")
    job = start(tenant_a)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # measure while the import really runs
        job.refresh_from_db()
        if job.customers_seen > 0:
            break
        time.sleep(0.25)
    during = _b_phase(stack, tenant_b, "under")
    job.refresh_from_db()
    seen, status = job.customers_seen, job.status
    import_cancel(tenant=tenant_a.tenant, run_id=job.pk, reason="bench done")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and job.status in (ImportRun.Status.QUEUED, ImportRun.Status.RUNNING):
        time.sleep(0.5)
        job.refresh_from_db()
    alone_p95, during_p95 = percentile(alone, 95), percentile(during, 95)
    return {
        "b_webhooks_per_phase": len(alone),
        "b_p95_alone_ms": round(alone_p95, 1),
        "b_p95_during_import_ms": round(during_p95, 1),
        "b_p50_alone_ms": round(percentile(alone, 50), 1),
        "b_p50_during_import_ms": round(percentile(during, 50), 1),
        "a_customers_imported_meanwhile": seen,
        "a_status_when_b_finished": status,
        "p95_ratio": round(during_p95 / alone_p95, 2),
        "goal": "p95_ratio <= 1.5",
        "met": during_p95 / alone_p95 <= 1.5,
    }
