"""`make bench`: every figure a ratio against its floor, measured in the same run (docs/benchmarks.md).

Starts a private stack (bench/stack.py: its own database `syncapp_bench`, its own Redis, the
emulators over HTTP with an added latency per call, the app under gunicorn, a Celery worker node
and beat), runs each measurement, prints the table and writes bench/results.json. It exits 0
whether the goals are met or not: the table says which are missed.

Sizes and knobs are environment variables (defaults: the issue's numbers, but for the memory
stage's 20,000 instead of 100,000, to stay within 15 minutes): BENCH_LATENCY_MS (40),
BENCH_ECONOMIC_RATE (25/s), BENCH_INGEST_SECONDS, BENCH_E2E_RATE (20), BENCH_E2E_WEBHOOKS,
BENCH_LONE_WEBHOOKS (20), BENCH_CALLS_EACH, BENCH_IMPORT_CUSTOMERS (10000),
BENCH_MEMORY_SMALL (10000), BENCH_MEMORY_LARGE
(20000), BENCH_FAIRNESS_RATE, BENCH_FAIRNESS_WEBHOOKS, BENCH_WORKER_CONCURRENCY (8); BENCH_ONLY
(a comma-separated list of stages) runs only those.
"""

import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

from . import report
from .stack import BenchStack

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("ingest", "end_to_end", "lone", "calls", "import", "fairness", "memory")


def machine() -> dict:
    model = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu_model": model,
        "cpu_count": os.cpu_count(),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
    }


def main() -> int:
    only = [s for s in os.environ.get("BENCH_ONLY", "").split(",") if s] or list(STAGES)
    latency = float(os.environ.get("BENCH_LATENCY_MS", "40"))
    from .importing import rate

    results: dict = {"machine": machine()}
    timings: dict[str, float] = {}
    stack = BenchStack()
    began = time.monotonic()
    try:
        stack.start()
        timings["setup"] = round(time.monotonic() - began, 1)
        plan = [
            ("ingest", None, "bench.ingest"),
            ("end_to_end", (latency, 0), "bench.end_to_end"),
            ("lone", (latency, None), "bench.lone"),
            ("calls", (latency, 0), "bench.calls"),
            ("import", (latency, rate()), "bench.importing"),
            ("fairness", (latency, rate()), "bench.fairness"),
            ("memory", (0, 0), "bench.memory"),
        ]
        for name, config, module in plan:
            if name not in only:
                continue
            stage_began = time.monotonic()
            if config is not None and (
                stack.worker is None or (stack.latency_ms, stack.economic_rate) != config
            ):
                stack.configure(latency_ms=config[0], economic_rate=config[1])
            print(f"bench: {name}…", file=sys.stderr, flush=True)
            results[name] = __import__(module, fromlist=["run"]).run(stack)
            timings[name] = round(time.monotonic() - stage_began, 1)
            print(
                f"bench: {name} done in {timings[name]}s: {json.dumps(results[name])}",
                file=sys.stderr,
                flush=True,
            )
    finally:
        stack.stop()
        print(f"bench: logs in {stack.logs}", file=sys.stderr)
    timings["total"] = round(time.monotonic() - began, 1)
    results["stage_seconds"] = timings
    out = ROOT / "bench" / "results.json"
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(report.table(results))
    print(f"\nWritten to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
