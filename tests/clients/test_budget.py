"""e-conomic's daily budget: calls per agreement over a rolling 24 hours, shared through Redis."""

import uuid
from datetime import timedelta

import pytest
import redis
import time_machine
from django.conf import settings

from syncapp.clients.budget import BudgetSpent, LocalDailyBudget, RedisDailyBudget

DAY = 24 * 3600


@pytest.fixture(params=["redis", "local"])
def make_budget(request):
    client = redis.Redis.from_url(settings.REDIS_URL)

    def make(limit: int, background_share: float = 0.9):
        if request.param == "redis":
            return RedisDailyBudget(
                client, limit=limit, background_share=background_share, prefix="test-budget"
            )
        return LocalDailyBudget(limit=limit, background_share=background_share)

    yield make
    client.close()


@pytest.fixture
def key():
    return f"agreement-{uuid.uuid4().hex}"


@pytest.fixture
def clock():
    with time_machine.travel("2026-12-01 08:00:30+00:00", tick=False) as traveller:
        yield traveller


def test_calls_are_counted_up_to_the_limit_then_refused_until_the_window_frees_one(make_budget, key, clock):
    budget = make_budget(3)
    assert [budget.spend(key) for _ in range(3)] == [1, 2, 3]

    with pytest.raises(BudgetSpent) as refused:
        budget.spend(key)

    # The three calls were made in the minute from 08:00: they leave the window at 08:00 next day.
    assert refused.value.used == 3 and refused.value.limit == 3
    assert refused.value.seconds == pytest.approx(DAY - 30, abs=1)
    assert budget.usage(key).used == 3


def test_the_window_rolls_minute_by_minute(make_budget, key, clock):
    budget = make_budget(5)
    for _ in range(3):
        budget.spend(key)
    clock.shift(timedelta(hours=10))
    for _ in range(2):
        budget.spend(key)
    with pytest.raises(BudgetSpent):
        budget.spend(key)

    clock.shift(timedelta(hours=14))  # the first three calls are 24 hours old, the last two are not

    assert budget.usage(key).used == 2
    assert budget.spend(key) == 3


def test_a_long_quiet_spell_forgets_everything(make_budget, key, clock):
    budget = make_budget(2)
    budget.spend(key)
    clock.shift(timedelta(days=9))
    assert budget.usage(key).used == 0
    assert budget.spend(key) == 1


def test_work_that_can_wait_stops_first_and_live_syncs_keep_the_rest(make_budget, key, clock):
    budget = make_budget(10, background_share=0.8)
    for _ in range(8):
        budget.spend(key, background=True)

    with pytest.raises(BudgetSpent) as refused:
        budget.spend(key, background=True)

    assert refused.value.background
    assert [budget.spend(key) for _ in range(2)] == [9, 10]
    with pytest.raises(BudgetSpent):
        budget.spend(key)


def test_agreements_are_counted_apart(make_budget, key, clock):
    budget = make_budget(1)
    budget.spend(key)
    assert budget.spend(key + "-other") == 1


def test_every_process_shares_the_redis_count(key, clock):
    client = redis.Redis.from_url(settings.REDIS_URL)
    one = RedisDailyBudget(client, limit=2, prefix="test-budget")
    other = RedisDailyBudget(redis.Redis.from_url(settings.REDIS_URL), limit=2, prefix="test-budget")
    one.spend(key)
    other.spend(key)
    with pytest.raises(BudgetSpent):
        one.spend(key)
