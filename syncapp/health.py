"""Health, split as an operator needs it.

`/healthz` is liveness: the process answers and reaches its database. It never looks at the
broker: with Redis down the web nodes must stay in service, storing Stripe's webhooks for the
sweeper to send later. `/readyz` is the status page for people and monitors: database, broker,
and whatever the apps register (the sync's backlog and its sweeper's heartbeat); it answers 200
whenever the node can serve, with `"status": "degraded"` when something behind it is down.
"""

from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection

StatusCheck = Callable[[], dict]
_checks: list[tuple[str, StatusCheck]] = []


def register_status_check(name: str, check: StatusCheck) -> None:
    """`check()` returns {"ok": bool, ...facts}; it must be quick and must not raise."""
    _checks.append((name, check))


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # the answer is the report; any failure means unhealthy
        return f"error: {type(exc).__name__}"


def broker_status() -> str:
    if not settings.CELERY_BROKER_URL:
        return "not configured"
    try:
        redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2, socket_connect_timeout=2).ping()
        return "ok"
    except Exception as exc:  # as above
        return f"error: {type(exc).__name__}"


def readiness() -> dict:
    report: dict = {"database": database_status(), "broker": broker_status()}
    healthy = all(report[name] in ("ok", "not configured") for name in ("database", "broker"))
    for name, check in _checks:
        try:
            facts = check()
        except Exception as exc:  # a broken check is reported, never raised at the monitor
            facts = {"ok": False, "error": type(exc).__name__}
        healthy &= bool(facts.get("ok"))
        report[name] = facts
    return {"status": "ok" if healthy else "degraded", **report}
