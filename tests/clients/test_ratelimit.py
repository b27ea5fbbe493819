"""The per-agreement token bucket: it admits the configured rate, and every process shares it."""

import subprocess
import sys
import time
import uuid

import pytest
import redis
from django.conf import settings

from syncapp.clients.ratelimit import LocalTokenBucket, RedisTokenBucket
from syncapp.connections.clients import economic_rate_limiter
from tests.conftest import ROOT

RATE = 20.0
WINDOW = 1.5


@pytest.fixture
def redis_client():
    client = redis.Redis.from_url(settings.REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def key():
    return f"test-{uuid.uuid4().hex}"


def granted_within(bucket, key: str, until: float) -> int:
    """How many tokens `acquire` hands out before the monotonic deadline."""
    count = 0
    while time.monotonic() < until:
        bucket.acquire(key)
        if time.monotonic() <= until:
            count += 1
    return count


def assert_admits_rate(count: int, *, rate: float, burst: float, window: float) -> None:
    expected = rate * window + burst
    # Generous below (a slow machine grants fewer), tight above: more would break the limit.
    assert expected * 0.7 <= count <= expected + 2, f"{count} tokens in {window}s, expected ~{expected:.0f}"


def test_local_bucket_admits_the_configured_rate(key):
    bucket = LocalTokenBucket(rate=RATE, burst=1)
    count = granted_within(bucket, key, time.monotonic() + WINDOW)
    assert_admits_rate(count, rate=RATE, burst=1, window=WINDOW)


def test_redis_bucket_admits_the_configured_rate(redis_client, key):
    bucket = RedisTokenBucket(redis_client, rate=RATE, burst=1)
    count = granted_within(bucket, key, time.monotonic() + WINDOW)
    assert_admits_rate(count, rate=RATE, burst=1, window=WINDOW)


def test_burst_is_granted_at_once_then_the_rate_applies(redis_client, key):
    bucket = RedisTokenBucket(redis_client, rate=2, burst=5)
    assert [bucket.try_acquire(key) for _ in range(5)] == [0] * 5
    wait = bucket.try_acquire(key)
    assert 0 < wait <= 0.5


def test_keys_have_separate_buckets(redis_client, key):
    bucket = RedisTokenBucket(redis_client, rate=1, burst=1)
    assert bucket.try_acquire(f"{key}-a") == 0
    assert bucket.try_acquire(f"{key}-b") == 0
    assert bucket.try_acquire(f"{key}-a") > 0


_WORKER = """
import sys, time, redis
from syncapp.clients.ratelimit import RedisTokenBucket
url, key, rate = sys.argv[1], sys.argv[2], float(sys.argv[3])
bucket = RedisTokenBucket(redis.Redis.from_url(url), rate=rate, burst=1)
print("ready", flush=True)
start, end = (float(arg) for arg in sys.stdin.readline().split())
while time.time() < start:
    time.sleep(0.001)
count = 0
while time.time() < end:
    bucket.acquire(key)
    if time.time() <= end:
        count += 1
print(count)
"""


def _start_worker(*args: object) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", _WORKER, *map(str, args)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_two_processes_share_the_redis_bucket(key):
    workers = [_start_worker(settings.REDIS_URL, key, RATE) for _ in range(2)]
    # Both start on the same wall-clock instant, once both have done their imports (a busy
    # machine can take seconds to start a Python process).
    assert [worker.stdout.readline().strip() for worker in workers] == ["ready", "ready"]
    start = time.time() + 0.2
    for worker in workers:
        worker.stdin.write(f"{start} {start + WINDOW}\n")
        worker.stdin.flush()
    counts = [int(worker.communicate(timeout=30)[0]) for worker in workers]
    assert all(count > 0 for count in counts), counts
    # Together they get one bucket's worth, not two.
    assert_admits_rate(sum(counts), rate=RATE, burst=1, window=WINDOW)


_PROBE = """
import sys, redis
from syncapp.clients.ratelimit import RedisTokenBucket
print(RedisTokenBucket(redis.Redis.from_url(sys.argv[1]), rate=100).try_acquire(sys.argv[2]))
"""


def test_a_pause_set_by_one_process_is_seen_by_another(redis_client, key):
    paused = time.monotonic()
    RedisTokenBucket(redis_client, rate=100).pause(key, 30)
    probe = subprocess.run(
        [sys.executable, "-c", _PROBE, settings.REDIS_URL, key],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    # The other process waits out what was left of the pause when it looked: no less than what
    # is left now (a busy machine can take seconds to start a Python process), and still a pause.
    left_now = 30 - (time.monotonic() - paused)
    assert 0 < left_now < float(probe.stdout) <= 30


def test_a_shorter_pause_does_not_cut_a_longer_one(redis_client, key):
    bucket = RedisTokenBucket(redis_client, rate=100)
    bucket.pause(key, 5)
    bucket.pause(key, 0.1)
    assert bucket.try_acquire(key) > 4


def test_local_bucket_pause_holds_every_caller_of_the_key(key):
    bucket = LocalTokenBucket(rate=100)
    bucket.pause(key, 5)
    assert bucket.try_acquire(key) > 4
    assert bucket.try_acquire(f"{key}-other") == 0


def test_economic_rate_limiter_uses_redis_when_configured_and_is_cached(settings):
    assert settings.REDIS_URL
    assert isinstance(economic_rate_limiter(), RedisTokenBucket)
    assert economic_rate_limiter() is economic_rate_limiter()
    settings.REDIS_URL = ""
    assert isinstance(economic_rate_limiter(), LocalTokenBucket)
    settings.ECONOMIC_RATE_PER_SECOND = 7
    assert economic_rate_limiter().rate == 7


@pytest.mark.parametrize("make", ["local", "redis"])
def test_acquire_never_waits_longer_than_max_wait_it_says_how_long_instead(redis_client, key, make):
    from syncapp.clients.ratelimit import RateLimitWait

    bucket = (
        LocalTokenBucket(rate=0.2, burst=1, max_wait=1.0)
        if make == "local"
        else RedisTokenBucket(redis_client, rate=0.2, burst=1, max_wait=1.0)
    )
    bucket.acquire(key)
    started = time.monotonic()
    with pytest.raises(RateLimitWait) as raised:
        bucket.acquire(key)
    assert time.monotonic() - started < 1.0
    assert 3 < raised.value.seconds <= 5


def test_a_huge_pause_is_capped(redis_client, key):
    bucket = RedisTokenBucket(redis_client, rate=100, max_pause=60)
    bucket.pause(key, 10**7)
    assert 50 < bucket.try_acquire(key) <= 60


def test_default_throttle_lets_a_lone_syncs_calls_go_back_to_back_and_a_burst_keeps_the_rate(key):
    limiter = economic_rate_limiter()
    # A sync's calls (a few searches, then a create or a GET and a PUT) never wait on an idle agreement.
    assert [limiter.try_acquire(key) for _ in range(4)] == [0] * 4
    window = 1.5
    count = 4 + granted_within(limiter, key, time.monotonic() + window)
    rate, burst = settings.ECONOMIC_RATE_PER_SECOND, settings.ECONOMIC_RATE_BURST
    assert count <= rate * window + burst + 1, f"{count} calls in {window}s at {rate}/s, burst {burst}"
