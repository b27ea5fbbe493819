"""Bench knobs for the emulators, off unless set (docs/benchmarks.md).

`SANDBOX_LATENCY_MS`: every request under /sandbox/ waits that long before it is handled, as a
call across the internet would; the app's own pages are untouched.
`SANDBOX_ECONOMIC_RATE_PER_SECOND`: the e-conomic emulator answers 429 (with `Retry-After`) to a
call beyond that rate for one agreement: a token bucket of that rate and as many calls of burst,
kept in Redis when REDIS_URL is set, so every emulator process agrees. It is the same bucket as
our client's (syncapp/clients/ratelimit.py), so a client throttled to the same rate is never
refused, except for the jitter between leaving our bucket and reaching this one.
`SANDBOX_ECONOMIC_DAILY_BUDGET`: e-conomic's fair use (50,000 calls per 24 hours per agreement in
production), enforced: a call past that many in the rolling 24 hours is refused as e-conomic may
restrict an integration. Its answer is not documented; the emulator's choice is 429 with the usual
error body and no `Retry-After` (a restriction "without warning" says nothing of its end). The
count is the same rolling window as our own (syncapp/clients/budget.py), on the same clock.
"""

import time
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from syncapp.clients.budget import BudgetSpent, budget_for
from syncapp.clients.ratelimit import LocalTokenBucket, RateLimiter, RedisTokenBucket


class LatencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        latency = getattr(settings, "SANDBOX_LATENCY_MS", 0)
        if latency and request.path.startswith("/sandbox/"):
            time.sleep(latency / 1000)
        return self.get_response(request)


@cache
def _limit(rate: int, redis_url: str) -> RateLimiter:
    if redis_url:
        import redis

        client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        return RedisTokenBucket(client, rate=rate, prefix="sandbox-economic-limit", max_wait=0)
    return LocalTokenBucket(rate=rate, max_wait=0)


def over_rate(agreement_id: int) -> float:
    """0 when this call is within the agreement's rate (or the limit is off), else the seconds
    until it would be."""
    rate = getattr(settings, "SANDBOX_ECONOMIC_RATE_PER_SECOND", 0)
    if not rate:
        return 0.0
    return _limit(rate, settings.REDIS_URL).try_acquire(str(agreement_id))


def over_budget(agreement_id: int) -> bool:
    """True when this call is past the agreement's daily budget (never while the knob is off);
    a call within it is counted."""
    limit = getattr(settings, "SANDBOX_ECONOMIC_DAILY_BUDGET", 0)
    if not limit:
        return False
    budget = budget_for(redis_url=settings.REDIS_URL, limit=limit, prefix="sandbox-economic-budget")
    try:
        budget.spend(str(agreement_id))
    except BudgetSpent:
        return True
    return False
