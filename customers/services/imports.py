"""Import: sync every existing Stripe customer once, cheaply.

Stripe customers are streamed (auto-pagination); e-conomic's customers are preloaded in pages of
1000 into a match index, so a matched customer costs no e-conomic call and a created one costs
one. Each customer still goes through `customer_sync` (lock, policy, record), so an import and a
webhook never disagree, and an import that is interrupted can simply run again.
"""

from django.db import transaction
from django.utils import timezone

from mappings.match_index import MatchIndex
from mappings.selectors import sync_settings_for
from syncapp.connections.clients import economic_client_for, stripe_client_for
from syncapp.models import Tenant

from ..errors import PERMANENT, TRANSIENT, as_transient, merchant_message
from ..models import ImportRun
from ..queue import enqueue_import
from .sync import customer_sync

PROGRESS_EVERY = 25
Status = ImportRun.Status


class ImportAlreadyRunning(Exception):
    pass


def import_start(*, tenant: Tenant, started_by: str) -> ImportRun:
    """Queue an import; one at a time per tenant."""
    with transaction.atomic():
        runs = ImportRun.objects.for_tenant(tenant).select_for_update()
        if runs.filter(status__in=[Status.QUEUED, Status.RUNNING]).exists():
            raise ImportAlreadyRunning("An import is already running: its progress is shown below.")
        run = ImportRun.objects.for_tenant(tenant).create(started_by=started_by)
        enqueue_import(run.pk)
    return run


def import_run(*, run_id: int) -> ImportRun:
    # The task carries only the id; the run's tenant scopes everything after this lookup.
    run = ImportRun.all_tenants.select_related("tenant").get(pk=run_id)
    tenant = run.tenant
    if run.status in (Status.CANCELLED, Status.FINISHED):
        return run  # cancelled from the admin before a worker took it, or a duplicate delivery
    _update(run, status=Status.RUNNING, message="Loading your e-conomic customers…")
    try:
        settings = sync_settings_for(tenant=tenant)
        fields = {rule.economic_field for rule in settings.match_rules}
        index = MatchIndex.of(economic_client_for(tenant).iter_customers(page_size=1000), fields=fields)
        _update(run, economic_customers_preloaded=index.size)
        _update(run, message="Syncing your Stripe customers…")
        counts: dict[str, int] = {}
        for seen, customer in enumerate(stripe_client_for(tenant).iter_customers(), start=1):
            record = customer_sync(
                tenant=tenant, stripe_customer_id=customer["id"], match_index=index, listed_customer=customer
            )
            counts[record.action] = counts.get(record.action, 0) + 1
            if seen % PROGRESS_EVERY == 0:
                if _cancelled(run):
                    _update(run, customers_seen=seen, counts=counts)
                    return run
                _update(run, customers_seen=seen, counts=counts)
        total = sum(counts.values())
        _update(
            run,
            status=Status.FINISHED,
            customers_seen=total,
            counts=counts,
            finished=timezone.now(),
            message=f"Imported {total} Stripe customers: see each one in the sync log.",
        )
    except TRANSIENT as exc:
        raise as_transient(exc) from exc
    except PERMANENT as exc:
        _update(run, status=Status.FAILED, finished=timezone.now(), message=merchant_message(exc))
    return run


def import_cancel(*, run_id: int, reason: str) -> bool:
    """Support's stop: the run is marked cancelled; its loop sees that at its next progress step.

    Returns False when the run had already ended (nothing to cancel).
    """
    cancelled = ImportRun.all_tenants.filter(pk=run_id, status__in=[Status.QUEUED, Status.RUNNING]).update(
        status=Status.CANCELLED, finished=timezone.now(), message=f"Cancelled by support: {reason}"
    )
    return bool(cancelled)


def import_resume(*, run_id: int) -> ImportRun:
    """Support's restart of a cancelled or failed run: queued again (syncing a customer twice is a
    no-op). Refused while another import of the tenant is queued or running."""
    with transaction.atomic():
        run = ImportRun.all_tenants.select_for_update().get(pk=run_id)
        if run.status not in (Status.CANCELLED, Status.FAILED):
            raise ImportAlreadyRunning(f"Import {run.pk} is {run.get_status_display().lower()}: not resumed.")
        others = ImportRun.objects.for_tenant(run.tenant_id).exclude(pk=run.pk)
        if others.filter(status__in=[Status.QUEUED, Status.RUNNING]).exists():
            raise ImportAlreadyRunning("Another import of this merchant is queued or running.")
        _update(run, status=Status.QUEUED, finished=None, message="Resumed by support: queued again.")
        enqueue_import(run.pk)
    return run


def _cancelled(run: ImportRun) -> bool:
    return ImportRun.all_tenants.filter(pk=run.pk, status=Status.CANCELLED).exists()


def import_give_up(*, run_id: int, reason: str) -> None:
    run = ImportRun.all_tenants.get(pk=run_id)
    if run.status == Status.CANCELLED:
        return
    _update(
        run, status=Status.FAILED, finished=timezone.now(), message=f"Stopped: {reason} Start it again later."
    )


def _update(run: ImportRun, **fields) -> None:
    for name, value in fields.items():
        setattr(run, name, value)
    ImportRun.all_tenants.filter(pk=run.pk).update(**fields)
