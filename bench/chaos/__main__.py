"""`make chaos` (and `python -m bench.chaos --small` inside `make test`): see docs/chaos.md.

The last line printed is one JSON object; the exit status is 1 when the e-conomic count is not
the expected one, a count that must be 0 is not, or an e-conomic edit did not reach Stripe exactly
once (`run.failures`).
"""

import argparse
import json
import re
import sys

from .run import Plan, failures, run


def _database_name(value: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a database name this run makes: lower-case letters, digits and _, at most 63"
        )
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__)
    parser.add_argument(
        "--small", action="store_true", help="200 customers, one kill, a 20 s outage, 6 edits in e-conomic"
    )
    parser.add_argument("--customers", type=int, help="Stripe customers (default 2000, small 200)")
    parser.add_argument("--timeout", type=float, help="seconds before giving up on quiet")
    parser.add_argument(
        "--database",
        type=_database_name,
        help="its PostgreSQL database, dropped and created (syncapp_chaos; small: syncapp_chaos_small)",
    )
    options = parser.parse_args(argv)
    plan = Plan.small() if options.small else Plan.full()
    if options.customers:
        plan.customers = options.customers
    if options.timeout:
        plan.timeout = options.timeout
    if options.database:
        plan.database = options.database
    result = run(plan)
    problems = failures(plan, result)
    for problem in problems:
        print(f"chaos: FAILED: {problem}", file=sys.stderr, flush=True)
    print(json.dumps(result), flush=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
