"""`make bench`: what one webhook costs, and what syncing costs in time and e-conomic calls.

Runs against a dedicated PostgreSQL database (`syncapp_bench`) and the emulators served by
gunicorn over HTTP, so the numbers include real network round trips on this machine. Prints a
table and writes bench/results.json. Goals (DESIGN.md): ingest is one insert (p95 well under
50 ms); a matched customer costs 1 e-conomic call, a created one 2 (one rule + the create), and a
linked, unchanged one 0.
"""

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "syncapp_bench"
os.environ.setdefault("DEBUG", "true")
os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}"
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/8")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/9")
os.environ["SANDBOX_ENABLED"] = "true"
os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
os.environ["ECONOMIC_RATE_PER_SECOND"] = "1000"  # measure our cost, not the configured throttle
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syncapp.settings")

WEBHOOKS = 500
STRIPE_CUSTOMERS = 200
ECONOMIC_CUSTOMERS = 1000
OVERLAP = 100  # Stripe customers whose e-mail e-conomic already has


def _create_database() -> None:
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("DROP DATABASE IF EXISTS " + BENCH_DB + " WITH (FORCE)")
        cursor.execute("CREATE DATABASE " + BENCH_DB)
    conn.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "syncapp.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            "--threads",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        start_new_session=True,
    )
    import requests

    for _ in range(100):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return server
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not start")


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def main() -> None:
    _create_database()
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    settings.ECONOMIC_API_URL = f"{base}/sandbox/economic"
    settings.STRIPE_API_BASE = f"{base}/sandbox/stripe"
    server = _start_server(port)
    try:
        results = {"ingest": _bench_ingest(), "sync": _bench_sync(settings)}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    _report(results)


def _merchant(settings):
    from mappings.document import default_document
    from mappings.services import settings_save
    from sandbox.economic_api.seed import DEFAULT_APP_SECRET, seed_agreement
    from sandbox.stripe_api.seed import seed_account
    from syncapp.connections.economic import EconomicCredentials, economic_store
    from syncapp.connections.stripe import StripeCredentials, stripe_store
    from syncapp.services import tenant_create

    settings.ECONOMIC_APP_SECRET_TOKEN = DEFAULT_APP_SECRET
    shared = [f"kunde{n}@bench.dk" for n in range(OVERLAP)]
    grant = seed_agreement(company_name="Bench ApS", customers=ECONOMIC_CUSTOMERS, emails=shared)
    api_key = seed_account(customers=STRIPE_CUSTOMERS, emails=shared, seed=1)
    tenant = tenant_create(slug=f"bench-{int(time.time())}", name="Bench ApS")
    # Seeded values, stored unchecked as the demo does: the bench measures syncs, not connecting.
    economic_store(tenant=tenant, credentials=EconomicCredentials(grant, None, ""))
    stripe_store(tenant=tenant, credentials=StripeCredentials(api_key, False, "whsec_bench_secret", ""))
    document = default_document()
    document["defaults"].update(
        payment_terms_number=1, customer_group_number=1, vat_zone_number=1, currency="DKK", layout_number=19
    )
    settings_save(tenant=tenant, user=None, document=document, source="bench")
    return tenant, grant


def _bench_ingest() -> dict:
    """Webhook requests through Django's full stack and the real database (no network)."""
    import hashlib
    import hmac

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from customers import tasks
    from syncapp.connections.stripe import StripeCredentials, stripe_store
    from syncapp.services import tenant_create

    tenant = tenant_create(slug="bench-ingest", name="Ingest ApS")
    stripe_store(tenant=tenant, credentials=StripeCredentials("sk_test_bench", False, "whsec_ingest", ""))
    tasks.process_event.delay = lambda *args: None  # measure the webhook, not the broker
    client, timings, queries, inserts = Client(), [], [], []
    for n in range(WEBHOOKS):
        body = json.dumps(
            {
                "id": f"evt_bench_{n}",
                "type": "customer.updated",
                "created": int(time.time()),
                "livemode": False,
                "data": {"object": {"id": f"cus_{n}", "object": "customer"}},
            }
        )
        t = int(time.time())
        signature = hmac.new(b"whsec_ingest", f"{t}.{body}".encode(), hashlib.sha256).hexdigest()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.post(
                tenant.webhook_path,
                body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=f"t={t},v1={signature}",
            )
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        queries.append(len(captured))
        inserts.append(sum(q["sql"].lstrip().upper().startswith("INSERT") for q in captured.captured_queries))
    return {
        "requests": WEBHOOKS,
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(_percentile(timings, 95), 2),
        "max_ms": round(max(timings), 2),
        "inserts_per_request": max(inserts),
        "sql_statements_per_request": max(queries),
    }


def _bench_sync(settings) -> dict:
    from customers.models import SyncRecord
    from customers.services import customer_sync
    from sandbox.economic_api.models import Grant, RequestLogEntry
    from syncapp.connections.clients import stripe_client_for

    tenant, grant = _merchant(settings)
    agreement = Grant.objects.get(token=grant).agreement
    ids = [customer["id"] for customer in stripe_client_for(tenant).iter_customers()]
    calls: dict[str, list[int]] = {}
    timings: list[float] = []
    started_all = time.perf_counter()
    for pass_name in ("first sync", "second sync (linked, unchanged)"):
        for customer_id in ids:
            mark = RequestLogEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
            started = time.perf_counter()
            record = customer_sync(tenant=tenant, stripe_customer_id=customer_id)
            timings.append((time.perf_counter() - started) * 1000)
            n = RequestLogEntry.objects.filter(agreement=agreement, id__gt=mark).count()
            calls.setdefault(f"{pass_name}: {record.action}", []).append(n)
    elapsed = time.perf_counter() - started_all
    failures = SyncRecord.objects.for_tenant(tenant).filter(action="failed").count()
    return {
        "customers": len(ids),
        "syncs": len(timings),
        "syncs_per_second": round(len(timings) / elapsed, 1),
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(_percentile(timings, 95), 1),
        "economic_calls_per_customer": {k: round(statistics.mean(v), 2) for k, v in sorted(calls.items())},
        "counts": {k: len(v) for k, v in sorted(calls.items())},
        "failed": failures,
    }


def _report(results: dict) -> None:
    out = ROOT / "bench" / "results.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    ingest, sync = results["ingest"], results["sync"]
    print("\nWebhook ingest (Django stack + PostgreSQL, broker publish stubbed)")
    print(
        f"  {ingest['requests']} requests: p50 {ingest['p50_ms']} ms, p95 {ingest['p95_ms']} ms, "
        f"max {ingest['max_ms']} ms, {ingest['sql_statements_per_request']} SQL statements "
        f"({ingest['inserts_per_request']} INSERT) each"
    )
    print("\nSync of Stripe customers into e-conomic (emulators over HTTP, gunicorn)")
    print(
        f"  {sync['syncs']} syncs of {sync['customers']} customers: {sync['syncs_per_second']}/s, "
        f"p50 {sync['p50_ms']} ms, p95 {sync['p95_ms']} ms, failed {sync['failed']}"
    )
    for outcome, mean in sync["economic_calls_per_customer"].items():
        print(f"  e-conomic calls per customer, {outcome}: {mean} (n={sync['counts'][outcome]})")
    print(f"\nWritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
