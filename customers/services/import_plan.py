"""A dry run's plan against e-conomic's daily budget: how many calls the import will make and how
long it will take within the budget ("about 62,000 e-conomic calls: this import runs over 2 days").

The import itself paces to the same figures: it is work that can wait, so it spends at most the
budget's background share (`syncapp/clients/budget.py`) and, when that is spent, waits until the
rolling 24 hours free calls (`imports.py`), then continues from its cursor.
"""

import math

from django.conf import settings

from syncapp.connections.budget import budget_of
from syncapp.models import Tenant

from ..explanations import fact
from ..models import SyncRecord

Action = SyncRecord.Action
PAGE = 1000
# e-conomic calls per customer by what the dry run found it would do (docs/benchmarks.md, calls).
CALLS_PER_ACTION = {Action.CREATED: 1, Action.UPDATED: 2}


def import_calls_estimate(*, counts: dict[str, int], economic_customers: int) -> int:
    """The import's e-conomic calls: its match index read once, plus each create and update."""
    reads = max(1, math.ceil(economic_customers / PAGE))
    return reads + sum(CALLS_PER_ACTION.get(action, 0) * n for action, n in counts.items())


def import_plan_fact(*, tenant: Tenant, calls: int) -> dict:
    """The estimate against the budget left now, as a fact the reader's language writes out."""
    rate = settings.ECONOMIC_RATE_PER_SECOND
    budget = budget_of(tenant=tenant)
    per_window = math.floor(settings.ECONOMIC_DAILY_BUDGET * settings.ECONOMIC_BUDGET_BACKGROUND_SHARE)
    left = max(0, per_window - budget.usage.used) if budget is not None else per_window
    if calls <= left:
        minutes = max(1, math.ceil(calls / rate / 60))
        return fact("import_plan_within", calls=calls, left=left, minutes=minutes)
    days = 1 + math.ceil((calls - left) / per_window) if per_window else 0
    return fact("import_plan_over_days", calls=calls, left=left, per_window=per_window, days=days)
