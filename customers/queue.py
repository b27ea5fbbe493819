"""The one way work reaches the Celery tasks: by task name, after the current transaction commits.

Services enqueue here and never import `tasks.py` (which imports the services), so the arrow
points one way. Each task is looked up by name in the app's registry and sent with its own
`delay`, so `CELERY_TASK_ALWAYS_EAGER` (`make run`, no broker) still runs it in-process; the
registry is filled when `CustomersConfig.ready()` imports `tasks.py`.
"""

from collections.abc import Iterable

from celery import current_app
from django.db import transaction

PROCESS_EVENT = "customers.tasks.process_event"
SYNC_CUSTOMER = "customers.tasks.sync_customer"
RUN_IMPORT = "customers.tasks.run_import"


def enqueue_event(event_id: int) -> None:
    _after_commit(PROCESS_EVENT, event_id)


def enqueue_customer_sync(tenant_id: int, stripe_customer_id: str) -> None:
    _after_commit(SYNC_CUSTOMER, tenant_id, stripe_customer_id)


def enqueue_import(run_id: int) -> None:
    _after_commit(RUN_IMPORT, run_id)


def requeue_events(event_ids: Iterable[int]) -> None:
    """The sweeper's second send of events stored long ago: there is no transaction to wait for."""
    for event_id in event_ids:
        send(PROCESS_EVENT, event_id)


def send(task_name: str, *args: object) -> None:
    current_app.tasks[task_name].delay(*args)


def _after_commit(task_name: str, *args: object) -> None:
    # A worker must not pick up the task before the row it names is visible to it.
    transaction.on_commit(lambda: send(task_name, *args))
