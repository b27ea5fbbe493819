"""The one way work reaches the Celery tasks: by task name, after the current transaction commits.

Services enqueue here and never import `tasks.py` (which imports the services), so the arrow
points one way. Each task is looked up by name in the app's registry and sent with its own
`delay`, so `CELERY_TASK_ALWAYS_EAGER` (`make run`, no broker) still runs it in-process; the
registry is filled when `CustomersConfig.ready()` imports `tasks.py`.

A send never fails its caller: the work it names is already stored with its schedule in
PostgreSQL, so when the broker cannot be reached the send is logged and the sweeper sends it
again once its lease ends (a webhook still answers 2xx; a request never waits on a dead broker).
"""

import logging
from collections.abc import Iterable

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)

PROCESS_EVENT = "customers.tasks.process_event"
SYNC_CUSTOMER = "customers.tasks.sync_customer"
RUN_IMPORT = "customers.tasks.run_import"
RECONCILE = "customers.tasks.reconcile_tenant"
READ_ECONOMIC = "customers.tasks.read_economic_changes"
RETRY_ECONOMIC_CUSTOMER = "customers.tasks.retry_economic_customer"


def enqueue_event(event_id: int, token: str, tenant_id: int, stripe_customer_id: str) -> None:
    """`token` is the lease the event was stored with ("": none), which the task takes over; the
    tenant and the customer are the key of the lock the task takes first."""
    _after_commit(PROCESS_EVENT, event_id, token, tenant_id, stripe_customer_id)


def enqueue_customer_sync(
    tenant_id: int, stripe_customer_id: str, stripe_account_id: int | None = None
) -> None:
    """Without `stripe_account_id` the task finds the account from the customer's link."""
    _after_commit(
        SYNC_CUSTOMER, tenant_id, stripe_customer_id, *([stripe_account_id] if stripe_account_id else [])
    )


def enqueue_import(run_id: int, token: str = "") -> None:
    _after_commit(RUN_IMPORT, run_id, *([token] if token else []))


def enqueue_reconcile(tenant_id: int) -> None:
    _after_commit(RECONCILE, tenant_id)


def enqueue_economic_read(tenant_id: int) -> None:
    _after_commit(READ_ECONOMIC, tenant_id)


def enqueue_economic_customer_retry(tenant_id: int, number: int) -> None:
    _after_commit(RETRY_ECONOMIC_CUSTOMER, tenant_id, number)


def requeue_events(events: Iterable[tuple[int, int, str]], token: str) -> None:
    """The sweeper's sends of due events (id, tenant id, Stripe customer id), already leased to
    `token`: no transaction to wait for."""
    for event_id, tenant_id, stripe_customer_id in events:
        send(PROCESS_EVENT, event_id, token, tenant_id, stripe_customer_id)


def send(task_name: str, *args: object) -> bool:
    try:
        current_app.tasks[task_name].delay(*args)
    except Exception:  # the broker is down or unreachable: the stored schedule covers it
        logger.exception("Could not send %s%r: the sweeper will send it again", task_name, args)
        return False
    return True


def _after_commit(task_name: str, *args: object) -> None:
    # A worker must not pick up the task before the row it names is visible to it.
    transaction.on_commit(lambda: send(task_name, *args))
