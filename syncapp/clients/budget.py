"""e-conomic's daily budget: calls per agreement over a rolling 24 hours, shared by every worker.

e-conomic's fair-use policy allows 50,000 API calls per 24 hours per agreement and may restrict
an integration beyond it without warning (../shared/reference/economic-api.md). Every call is
counted here against its agreement's key before it leaves, in Redis so that all workers and all
tenants on the agreement share one count. The window rolls: the count is kept in one-minute slots
and a slot leaves the count 24 hours after it began, so calls free up minute by minute.

Work that can wait (imports, background reads) may spend only `background_share` of the budget:
near the budget it stops first, and live syncs keep the rest. At the budget every call is refused
with `BudgetSpent(seconds)`, the time until the window frees one. The clock is the caller's wall
clock (workers' clocks agree to well within a slot); no Django here: the values come from the
caller.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import redis

SLOT_SECONDS = 60


class BudgetSpent(Exception):
    """The agreement's calls for this window are spent (for this kind of work): the next one may
    go in `seconds`."""

    def __init__(self, seconds: float, *, used: int, limit: int, background: bool):
        kind = "work that can wait" if background else "every call"
        super().__init__(f"Daily budget spent for {kind}: {used} of {limit} calls; frees in {seconds:.0f}s.")
        self.seconds = seconds
        self.used = used
        self.limit = limit
        self.background = background


@dataclass(frozen=True)
class BudgetUsage:
    used: int
    limit: int
    window_seconds: int
    # Seconds until the window frees its oldest call (0 when nothing is counted).
    frees_in: float

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def share(self) -> float:
        return self.used / self.limit if self.limit else 0.0


class DailyBudget(Protocol):
    limit: int
    background_share: float

    def spend(self, key: str, *, background: bool = False) -> int:
        """Count one call for `key` (raise BudgetSpent if it may not go); the count after it."""

    def usage(self, key: str) -> BudgetUsage:
        """The calls counted for `key` in the window now."""


# KEYS: the slots hash. ARGV: now (s), slot (s), slots in the window, cap (calls), spend (0/1:
# count a call, or only read). The hash holds a count per slot index, `total` (the window's sum)
# and `oldest` (the oldest slot still counted). Returns {spent (0/1), total, milliseconds until
# the window frees enough calls to be under the cap (a reading: its oldest call)}.
_SPEND = """
local now = tonumber(ARGV[1])
local slot = tonumber(ARGV[2])
local slots = tonumber(ARGV[3])
local cap = tonumber(ARGV[4])
local spend = tonumber(ARGV[5])
local current = math.floor(now / slot)
local first = current - slots + 1
local total = tonumber(redis.call('HGET', KEYS[1], 'total') or '0')
local oldest = tonumber(redis.call('HGET', KEYS[1], 'oldest') or tostring(current))
if oldest < first - slots then
  redis.call('DEL', KEYS[1])
  total = 0
  oldest = current
end
while oldest < first do
  total = total - tonumber(redis.call('HGET', KEYS[1], tostring(oldest)) or '0')
  redis.call('HDEL', KEYS[1], tostring(oldest))
  oldest = oldest + 1
end
if total < 0 then total = 0 end
redis.call('HSET', KEYS[1], 'total', tostring(total), 'oldest', tostring(oldest))
redis.call('EXPIRE', KEYS[1], (slots + 1) * slot)
if spend == 1 and total < cap then
  redis.call('HINCRBY', KEYS[1], tostring(current), 1)
  redis.call('HSET', KEYS[1], 'total', tostring(total + 1))
  return {1, total + 1, 0}
end
if total == 0 then return {0, 0, 0} end
-- How many calls must leave the window: enough to get under the cap, or (a reading) the oldest.
local need = 1
if spend == 1 then need = total - cap + 1 end
local s = oldest
local freed = 0
while s <= current do
  freed = freed + tonumber(redis.call('HGET', KEYS[1], tostring(s)) or '0')
  if freed >= need then break end
  s = s + 1
end
return {0, total, math.max(1, math.ceil(((s + slots) * slot - now) * 1000))}
"""


def wall_clock() -> float:
    return time.time()


class _Budget:
    limit: int
    background_share: float
    window_seconds: int

    def _cap(self, background: bool) -> int:
        return math.floor(self.limit * self.background_share) if background else self.limit

    def spend(self, key: str, *, background: bool = False) -> int:
        spent, total, wait_ms = self._run(key, self._cap(background), spend=True)
        if not spent:
            raise BudgetSpent(wait_ms / 1000, used=total, limit=self.limit, background=background)
        return total

    def usage(self, key: str) -> BudgetUsage:
        _, total, wait_ms = self._run(key, 0, spend=False)
        return BudgetUsage(
            used=total, limit=self.limit, window_seconds=self.window_seconds, frees_in=wait_ms / 1000
        )

    def _run(self, key: str, cap: int, *, spend: bool) -> tuple[int, int, int]:
        raise NotImplementedError


class RedisDailyBudget(_Budget):
    def __init__(
        self,
        client: redis.Redis,
        *,
        limit: int,
        window_seconds: int = 86400,
        background_share: float = 0.9,
        prefix: str = "economic-budget",
    ):
        if limit <= 0:
            raise ValueError("limit must be positive")
        self.limit, self.window_seconds, self.background_share = limit, window_seconds, background_share
        self.prefix = prefix
        self._script = client.register_script(_SPEND)

    def _run(self, key: str, cap: int, *, spend: bool) -> tuple[int, int, int]:
        slots = max(1, self.window_seconds // SLOT_SECONDS)
        args = [repr(wall_clock()), SLOT_SECONDS, slots, cap, 1 if spend else 0]
        spent, total, wait_ms = self._script(keys=[f"{self.prefix}:{key}"], args=args)
        return int(spent), int(total), int(wait_ms)


class LocalDailyBudget(_Budget):
    """The same count inside one process, for `make run` without Redis."""

    def __init__(self, *, limit: int, window_seconds: int = 86400, background_share: float = 0.9):
        if limit <= 0:
            raise ValueError("limit must be positive")
        self.limit, self.window_seconds, self.background_share = limit, window_seconds, background_share
        self._lock = threading.Lock()
        self._slots: dict[str, dict[int, int]] = {}

    def _run(self, key: str, cap: int, *, spend: bool) -> tuple[int, int, int]:
        now = wall_clock()
        slots = max(1, self.window_seconds // SLOT_SECONDS)
        current = math.floor(now / SLOT_SECONDS)
        with self._lock:
            counts = {s: n for s, n in self._slots.get(key, {}).items() if s > current - slots}
            self._slots[key] = counts
            total = sum(counts.values())
            if spend and total < cap:
                counts[current] = counts.get(current, 0) + 1
                return 1, total + 1, 0
            if not total:
                return 0, 0, 0
            need, freed, frees_at = (total - cap + 1 if spend else 1), 0, current + 1
            for s in sorted(counts):
                freed += counts[s]
                if freed >= need:
                    frees_at = s
                    break
            return 0, total, max(1, math.ceil(((frees_at + slots) * SLOT_SECONDS - now) * 1000))


@lru_cache(maxsize=8)
def budget_for(
    *,
    redis_url: str,
    limit: int,
    window_seconds: int = 86400,
    background_share: float = 0.9,
    prefix: str = "",
) -> DailyBudget:
    """Redis-backed when a Redis URL is given (every worker shares it), else in-process."""
    if redis_url:
        client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        return RedisDailyBudget(
            client,
            limit=limit,
            window_seconds=window_seconds,
            background_share=background_share,
            prefix=prefix or "economic-budget",
        )
    return LocalDailyBudget(limit=limit, window_seconds=window_seconds, background_share=background_share)
