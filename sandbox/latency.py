"""Bench knobs for the emulators, off unless set (docs/benchmarks.md).

`SANDBOX_LATENCY_MS`: every request under /sandbox/ waits that long before it is handled, as a
call across the internet would; the app's own pages are untouched.
`SANDBOX_ECONOMIC_RATE_PER_SECOND`: the e-conomic emulator answers 429 with `Retry-After: 1` once an
agreement has made that many calls in the current second (a fixed one-second window, counted in
the cache, so every emulator process agrees).
"""

import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse


class LatencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        latency = getattr(settings, "SANDBOX_LATENCY_MS", 0)
        if latency and request.path.startswith("/sandbox/"):
            time.sleep(latency / 1000)
        return self.get_response(request)


def over_rate(agreement_id: int) -> bool:
    """True when this call goes past the agreement's calls for this second (the limit is off at 0)."""
    rate = getattr(settings, "SANDBOX_ECONOMIC_RATE_PER_SECOND", 0)
    if not rate:
        return False
    key = f"sandbox-economic-rate:{agreement_id}:{int(time.time())}"
    cache.add(key, 0, timeout=5)
    try:
        return cache.incr(key) > rate
    except ValueError:  # expired between add and incr: this is its first call
        cache.add(key, 1, timeout=5)
        return False
