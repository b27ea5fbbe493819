"""The table `make bench` prints (and docs/benchmarks.md shows)."""


def _mark(section: dict) -> str:
    return "met" if section.get("met") else "MISSED"


def table(results: dict) -> str:
    rows = [("measure", "figure", "goal", "")]
    if "ingest" in results:
        r = results["ingest"]
        rows.append(
            (
                "ingest",
                f"ratio {r['ratio']:.2f} (ours {r['ours_rps']} rps / bare {r['bare_rps']} rps; "
                f"p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms)",
                ">= 0.7",
                _mark(r),
            )
        )
    if "end_to_end" in results:
        r = results["end_to_end"]
        rows.append(
            (
                "end_to_end",
                f"p50_ratio {r['p50_ratio']:.2f} (p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms; "
                f"floor {r['floor_ms']} ms at {r['rate_per_second']:g}/s); cpu_ratio {r['cpu_ratio']} "
                f"(web {r['cpu_ms_per_sync']['web']} + worker {r['cpu_ms_per_sync']['worker']} ms / bare "
                f"{r['bare_cpu_ms_per_sync']} ms); {r['connections_per_sync']} new connections per sync; "
                f"machine busy {r['machine_busy_share']:.0%}",
                "<= 1.2; <= 2.5; <= 0.1",
                _mark(r),
            )
        )
    if "lone" in results:
        r = results["lone"]
        rows.append(
            (
                "lone",
                f"p50_ratio {r['p50_ratio']:.2f} (p50 {r['p50_ms']} ms, max {r['max_ms']} ms; floor "
                f"{r['floor_ms']} ms; one webhook at a time, default settings)",
                "<= 1.2",
                _mark(r),
            )
        )
    if "calls" in results:
        r = results["calls"]
        detail = "; ".join(
            f"{name} e-c {r[name]['measured']['economic']}/{r[name]['minimum']['economic']}, "
            f"S {r[name]['measured']['stripe']}/{r[name]['minimum']['stripe']}"
            for name in ("matched", "created", "linked-unchanged", "updated", "echo")
        )
        rows.append(("calls", f"ratio {r['ratio']:.2f} ({detail})", "== 1.00", _mark(r)))
    if "import" in results:
        r = results["import"]
        rows.append(
            (
                "import",
                f"rate_ratio {r['rate_ratio']:.2f} ({r['seconds']} s vs ceiling {r['ceiling_seconds']} s "
                f"at {r['rate_limit_per_second']}/s); calls {r['economic_calls']} vs minimum "
                f"{r['minimum_calls']} (+{r['extra_calls']}); peak RSS {r['peak_rss_mb']} MB",
                ">= 0.9; <= min + 5",
                _mark(r),
            )
        )
    if "memory" in results:
        r = results["memory"]
        rows.append(
            (
                "memory",
                f"growth {r['rss_growth_mb']} MB ({r['small_customers']}: {r['small']['peak_rss_mb']} MB, "
                f"{r['large_customers']}: {r['large']['peak_rss_mb']} MB)",
                "<= 100 MB",
                _mark(r),
            )
        )
    if "fairness" in results:
        r = results["fairness"]
        rows.append(
            (
                "fairness",
                f"p95_ratio {r['p95_ratio']:.2f} (B p95 {r['b_p95_alone_ms']} ms alone, "
                f"{r['b_p95_during_import_ms']} ms during A's import)",
                "<= 1.5",
                _mark(r),
            )
        )
    m = results["machine"]
    rows.append(("machine", f"{m['cpu_model']} x {m['cpu_count']}, {m['date']}", "", ""))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)
