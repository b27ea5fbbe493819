"""Per-agreement rate limits for e-conomic calls, shared by every worker.

A token bucket per key (one key per agreement): up to `burst` calls leave at once (a lone sync's
calls go back to back), and over any longer stretch no more than `rate` a second. `acquire` waits
for a token, but never longer than `max_wait` (a second by default): past that it raises
`RateLimitWait` with the seconds still to go, so one throttled merchant cannot hold every worker
slot asleep; the caller reschedules the work. `pause` makes every caller of that key wait, as
e-conomic's 429 asks (capped at `max_pause`). The Redis bucket keeps its state and the clock in
Redis (the server's TIME), so processes on different hosts agree. No Django here: the values come
from the caller.
"""

from __future__ import annotations

import threading
import time
from functools import lru_cache
from typing import Protocol

import redis


class RateLimitWait(Exception):
    """A token is more than `max_wait` away: try again in `seconds`."""

    def __init__(self, seconds: float):
        super().__init__(f"Rate limited for {seconds:.1f} more seconds.")
        self.seconds = seconds


class RateLimiter(Protocol):
    def acquire(self, key: str) -> None:
        """Wait (at most `max_wait`) until a request for `key` may go out, else raise RateLimitWait."""

    def pause(self, key: str, seconds: float) -> None:
        """Hold every request for `key` for `seconds` (after a 429)."""


# KEYS: bucket hash, pause-until key. ARGV: rate per second, capacity.
# Returns milliseconds to wait; 0 means a token was taken.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local paused_until = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused_until > now then
  return paused_until - now
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate / 1000)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.max(1, math.ceil((1 - tokens) * 1000 / rate))
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity * 1000 / rate) + 1000)
return wait
"""

# KEYS: pause-until key. ARGV: milliseconds. A shorter pause never cuts a longer one short.
_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wanted = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if wanted > current then
  redis.call('SET', KEYS[1], tostring(wanted), 'PX', tonumber(ARGV[1]))
end
return wanted
"""


class _Bucket:
    max_wait: float
    max_pause: float

    def try_acquire(self, key: str) -> float:
        raise NotImplementedError

    def acquire(self, key: str) -> None:
        deadline = time.monotonic() + self.max_wait
        while (wait := self.try_acquire(key)) > 0:
            if time.monotonic() + wait > deadline:
                raise RateLimitWait(wait)
            time.sleep(wait)


class RedisTokenBucket(_Bucket):
    def __init__(
        self,
        client: redis.Redis,
        *,
        rate: float,
        burst: float | None = None,
        prefix: str = "economic-rate",
        max_wait: float = 1.0,
        max_pause: float = 3600.0,
    ):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate)
        self.prefix = prefix
        self.max_wait, self.max_pause = max_wait, max_pause
        self._acquire = client.register_script(_ACQUIRE)
        self._pause = client.register_script(_PAUSE)

    def _keys(self, key: str) -> list[str]:
        return [f"{self.prefix}:{key}:bucket", f"{self.prefix}:{key}:paused"]

    def try_acquire(self, key: str) -> float:
        """Take a token if one is free and return 0, else return the seconds to wait."""
        try:
            return int(self._acquire(keys=self._keys(key), args=[self.rate, self.burst])) / 1000
        except redis.RedisError as exc:
            # Redis restarting: no call goes out unmetered; the work is rescheduled shortly.
            raise RateLimitWait(self.max_wait or 1.0) from exc

    def pause(self, key: str, seconds: float) -> None:
        milliseconds = max(1, int(min(seconds, self.max_pause) * 1000))
        try:
            self._pause(keys=self._keys(key)[1:], args=[milliseconds])
        except redis.RedisError:
            pass  # the 429 itself still reaches the caller, which reschedules


class LocalTokenBucket(_Bucket):
    """The same bucket inside one process, for `make run` without Redis."""

    def __init__(
        self, *, rate: float, burst: float | None = None, max_wait: float = 1.0, max_pause: float = 3600.0
    ):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate)
        self.max_wait, self.max_pause = max_wait, max_pause
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}
        self._paused_until: dict[str, float] = {}

    def try_acquire(self, key: str) -> float:
        with self._lock:
            now = time.monotonic()
            paused_until = self._paused_until.get(key, 0.0)
            if paused_until > now:
                return paused_until - now
            tokens, ts = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - ts) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate

    def pause(self, key: str, seconds: float) -> None:
        with self._lock:
            until = time.monotonic() + min(seconds, self.max_pause)
            self._paused_until[key] = max(until, self._paused_until.get(key, 0.0))


@lru_cache(maxsize=8)
def limiter_for(
    *,
    redis_url: str,
    rate: float,
    burst: float | None = None,
    max_wait: float = 1.0,
    max_pause: float = 3600.0,
) -> RateLimiter:
    """Redis-backed when a Redis URL is given (all workers share it), else in-process; one per config."""
    if redis_url:
        client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        return RedisTokenBucket(client, rate=rate, burst=burst, max_wait=max_wait, max_pause=max_pause)
    return LocalTokenBucket(rate=rate, burst=burst, max_wait=max_wait, max_pause=max_pause)
