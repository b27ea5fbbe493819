"""Celery tasks: thin shells over the services.

The schedule lives in PostgreSQL (`services/schedule.py`), not in Celery's retries: a task claims
its event, works, and writes the next attempt's time back; the sweeper sends what is due. Acks
late and reject on worker lost stay, so a killed worker's message is redelivered and takes its
lease back at once.
"""

from dataclasses import asdict

from celery import shared_task

from syncapp.models import StripeConnection, Tenant

from .errors import TransientSyncError
from .locks import economic_read_lock
from .privacy.retention import personal_data_purge
from .services import customer_sync, event_process, events_sweep, sync_record_failed
from .services.claims import claims_purge
from .services.economic_reads import economic_changes_read, economic_reads_due
from .services.from_economic import economic_customer_retry
from .services.imports import import_continue, imports_sweep
from .services.pauses import pauses_probe
from .services.reconcile import tenant_reconcile, tenants_reconcile

TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(**TASK_OPTIONS)
def process_event(
    event_id: int, token: str = "", tenant_id: int | None = None, stripe_customer_id: str = ""
) -> None:
    event_process(event_id=event_id, token=token, tenant_id=tenant_id, stripe_customer_id=stripe_customer_id)


@shared_task(**TASK_OPTIONS)
def sync_customer(tenant_id: int, stripe_customer_id: str, stripe_account_id: int | None = None) -> None:
    """A merchant's "Retry" from the sync log: one try now; a failure that can pass is logged."""
    tenant = Tenant.objects.get(pk=tenant_id)
    account = (
        StripeConnection.objects.for_tenant(tenant).filter(pk=stripe_account_id).first()
        if stripe_account_id
        else None
    )
    try:
        customer_sync(tenant=tenant, stripe_customer_id=stripe_customer_id, stripe_account=account)
    except TransientSyncError as exc:
        sync_record_failed(
            tenant=tenant,
            stripe_customer_id=stripe_customer_id,
            reason=exc.facts,
            stripe_account=account,
            attempts=1,
        )


@shared_task
def sweep_pending_events() -> int:
    return events_sweep() + imports_sweep()


@shared_task
def probe_paused_connections() -> int:
    return pauses_probe()


@shared_task
def purge_personal_data() -> dict:
    # Create claims hold keyed hashes of match values: kept no longer than they serve a sync.
    return {**asdict(personal_data_purge()), "create_claims": claims_purge()}


@shared_task(**TASK_OPTIONS)
def run_import(run_id: int, token: str = "") -> None:
    import_continue(run_id=run_id, token=token)


@shared_task
def reconcile_tenant(tenant_id: int) -> int:
    return tenant_reconcile(tenant=Tenant.objects.get(pk=tenant_id))


@shared_task
def reconcile_tenants() -> int:
    return tenants_reconcile()


@shared_task
def read_economic_due() -> int:
    return economic_reads_due()


@shared_task
def read_economic_changes(tenant_id: int) -> int:
    # A hint arriving while a read runs does not start a second one beside it.
    with economic_read_lock(tenant_id=tenant_id) as mine:
        if not mine:
            return 0
        try:
            return economic_changes_read(tenant=Tenant.objects.get(pk=tenant_id))
        except TransientSyncError:
            return 0  # the cursor kept what was applied; the next read (or the pause's end) continues


@shared_task
def retry_economic_customer(tenant_id: int, number: int) -> int:
    try:
        return len(economic_customer_retry(tenant=Tenant.objects.get(pk=tenant_id), number=number))
    except TransientSyncError:
        return 0
