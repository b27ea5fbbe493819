"""end_to_end: webhook accepted → e-conomic customer created and its number written back, at a
steady rate, against the floor: the four round trips no sync can skip (Stripe fetch, e-conomic
search, e-conomic create, Stripe write-back), made by the bench itself one after the other with a
plain HTTP client against the same emulators in the same run (so the floor holds the added
latency and the emulators' own time, and nothing of ours)."""

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .connections import KEY as CONNECTIONS_KEY
from .connections import connections_seen
from .seed import merchant, new_customer
from .stats import percentile
from .steady import customers_with_events, deliver_steady, written_back_ms

ROUND_TRIPS = 4
ROOT = Path(__file__).resolve().parent.parent


def run(stack) -> dict:
    rate = float(os.environ.get("BENCH_E2E_RATE", "20"))
    count = int(os.environ.get("BENCH_E2E_WEBHOOKS", "400"))
    shop = merchant(name="e2e", economic_customers=100)
    floor = measure_floor(stack, shop, int(os.environ.get("BENCH_E2E_FLOOR_SAMPLES", "10")))
    bare_samples = int(os.environ.get("BENCH_E2E_BARE_SAMPLES", "50"))
    emulators_before = stack.cpu_seconds()["emulators"]
    bare_cpu_ms = measure_bare_cpu_ms(stack, shop, bare_samples)
    # The emulators' CPU for the bare script's syncs: one call at a time, so it is their cost per
    # sync on a machine they share with nothing of ours.
    bare_emulator_ms = (stack.cpu_seconds()["emulators"] - emulators_before) * 1000 / bare_samples
    batch = customers_with_events(shop, count, "nyt")
    import redis

    redis.Redis.from_url(stack.env["REDIS_URL"]).delete(CONNECTIONS_KEY)
    cpu_before, busy_before = stack.cpu_seconds(), _machine_ticks()
    accepted = deliver_steady(f"{stack.web_url}{shop.webhook_path}", batch, rate)
    times = written_back_ms(shop, accepted)
    cpu = {k: round(v - cpu_before.get(k, 0), 1) for k, v in stack.cpu_seconds().items()}
    busy = _busy_share(busy_before, _machine_ticks())
    connections = connections_seen(stack.env["REDIS_URL"])
    p50 = percentile(times, 50)
    ours_ms = {part: round(cpu.get(part, 0) * 1000 / count, 2) for part in ("web", "worker")}
    return {
        "webhooks": count,
        "rate_per_second": rate,
        "latency_ms_per_call": stack.latency_ms,
        "p50_ms": round(p50, 1),
        "p95_ms": round(percentile(times, 95), 1),
        "max_ms": round(max(times), 1),
        "floor_ms": round(floor, 1),
        "floor_latency_only_ms": round(ROUND_TRIPS * stack.latency_ms, 1),
        "p50_ratio": round(p50 / floor, 2),
        "cpu_seconds": cpu,
        # The share of the machine's cores busy during the stage (anything on it, ours or not):
        # near 1.0 the figures say more about the machine than about the product.
        "machine_busy_share": busy,
        "cpu_ms_per_sync": ours_ms,
        # The stand-ins for Stripe and e-conomic: their cost is not ours, and should be small next
        # to it (docs/benchmarks.md, "The emulators' serving path").
        "emulator_cpu_ms_per_sync": round(cpu.get("emulators", 0) * 1000 / count, 2),
        "bare_emulator_cpu_ms_per_sync": round(bare_emulator_ms, 2),
        "bare_cpu_ms_per_sync": bare_cpu_ms,
        "cpu_ratio": round(sum(ours_ms.values()) / bare_cpu_ms, 2) if bare_cpu_ms else None,
        "connections_per_sync": round(connections / count, 3),
        "worker_pool": stack.worker_pool,
        "worker_rss_mb": stack.worker_rss_mb(),
        "goal": "p50_ratio <= 1.2; cpu_ratio <= 2.5; connections_per_sync <= 0.1",
        "met": p50 / floor <= 1.2
        and bool(bare_cpu_ms)
        and sum(ours_ms.values()) / bare_cpu_ms <= 2.5
        and connections / count <= 0.1,
    }


def measure_bare_cpu_ms(stack, shop, samples: int) -> float:
    """CPU per sync of a bare script making the same four calls and one insert (bench/bare_sync.py)."""
    from .urls import BARE_TABLE

    ids = [new_customer(shop, f"bar{n}@{shop.slug}.bench.dk", f"Bar {n} ApS")[0] for n in range(samples)]
    args = [sys.executable, "-m", "bench.bare_sync", f"http://127.0.0.1:{stack.emulator_port}/sandbox"]
    args += [shop.stripe_token, stack.env["ECONOMIC_APP_SECRET_TOKEN"], shop.economic_token]
    args += [stack.env["DATABASE_URL"], BARE_TABLE, *ids]
    done = subprocess.run(
        args, cwd=ROOT, env=stack.env, capture_output=True, text=True, timeout=300, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])["cpu_ms_per_sync"]


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of all cores since boot, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    total = after[1] - before[1]
    return round((after[0] - before[0]) / total, 2) if total else 0.0


def measure_floor(stack, shop, samples: int) -> float:
    """The median time of the four unavoidable calls, made back to back by a bare client."""
    from .bare_sync import four_calls, sessions
    from .seed import new_customer

    base = f"http://127.0.0.1:{stack.emulator_port}/sandbox"
    stripe, economic = sessions(
        base, shop.stripe_token, stack.env["ECONOMIC_APP_SECRET_TOKEN"], shop.economic_token
    )
    sums = []
    for n in range(samples + 1):  # the first warms the connections up and is not counted
        customer_id, _ = new_customer(shop, f"gulv{n}@{shop.slug}.bench.dk", f"Gulv {n} ApS")
        started = time.perf_counter()
        four_calls(stripe, economic, base, customer_id)
        if n:
            sums.append((time.perf_counter() - started) * 1000)
    return statistics.median(sums)
