"""Celery tasks: thin shells over the services; retries and acknowledgements are their concern."""

from collections.abc import Callable

from celery import Task, shared_task
from celery.utils.time import get_exponential_backoff_interval

from syncapp.models import Tenant

from .errors import TransientSyncError
from .privacy.retention import personal_data_purge
from .services import customer_sync, event_give_up, event_process, events_sweep, sync_record_failed
from .services.imports import import_give_up, import_run

MAX_RETRIES = 8
TASK_OPTIONS = {"bind": True, "acks_late": True, "reject_on_worker_lost": True, "max_retries": MAX_RETRIES}


def retry_delay(retries: int, retry_after: float | None) -> float:
    """Exponential backoff with full jitter (Celery's own), never sooner than Retry-After."""
    backoff = get_exponential_backoff_interval(factor=2, retries=retries, maximum=600, full_jitter=True)
    return max(backoff, retry_after or 0)


def _with_retries(task: Task, work: Callable[[], object], give_up: Callable[[str], object]) -> None:
    try:
        work()
    except TransientSyncError as exc:
        if task.request.retries >= task.max_retries:
            give_up(exc.message)
            return
        raise task.retry(exc=exc, countdown=retry_delay(task.request.retries, exc.retry_after)) from exc


@shared_task(**TASK_OPTIONS)
def process_event(self, event_id: int) -> None:
    _with_retries(
        self,
        lambda: event_process(event_id=event_id),
        lambda reason: event_give_up(event_id=event_id, reason=reason),
    )


@shared_task(**TASK_OPTIONS)
def sync_customer(self, tenant_id: int, stripe_customer_id: str) -> None:
    """A merchant's "Retry" from the sync log, or a backfill of one customer."""
    tenant = Tenant.objects.get(pk=tenant_id)
    _with_retries(
        self,
        lambda: customer_sync(tenant=tenant, stripe_customer_id=stripe_customer_id),
        lambda reason: sync_record_failed(
            tenant=tenant, stripe_customer_id=stripe_customer_id, reason=reason
        ),
    )


@shared_task
def sweep_pending_events() -> int:
    return events_sweep()


@shared_task
def purge_personal_data() -> dict:
    report = personal_data_purge()
    return {"event_payloads": report.event_payloads, "sync_records": report.sync_records}


@shared_task(**TASK_OPTIONS)
def run_import(self, run_id: int) -> None:
    _with_retries(
        self,
        lambda: import_run(run_id=run_id),
        lambda reason: import_give_up(run_id=run_id, reason=reason),
    )
