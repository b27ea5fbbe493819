"""New connections to the emulators, counted where they are accepted: each TCP connection has its
own client port, so the distinct (address, port) pairs seen over a stage are the connections the
clients opened (a kept-alive connection reused by later requests is counted once). Installed only
in the bench's emulator process (bench/emulator_settings.py)."""

from collections.abc import Callable

import redis
from django.conf import settings
from django.http import HttpRequest, HttpResponse

KEY = "bench:emulator-connections"


class CountConnections:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.redis = redis.Redis.from_url(settings.REDIS_URL)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        peer = f"{request.META.get('REMOTE_ADDR', '')}:{request.META.get('REMOTE_PORT', '')}"
        self.redis.sadd(KEY, peer)
        return self.get_response(request)


def connections_seen(redis_url: str) -> int:
    return int(redis.Redis.from_url(redis_url).scard(KEY))
