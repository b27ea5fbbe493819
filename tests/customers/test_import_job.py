"""The import as a resumable job: a killed worker's import continues from its cursor and never runs
twice, and what it had synced ahead of its cursor is neither lost nor doubled; a stale run is taken
over; Cancel; a new import is refused only while one is alive."""

import os
import signal
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers import tasks
from customers.models import CustomerLink, ImportRun, SyncRecord
from customers.services.imports import (
    ImportAlreadyRunning,
    import_cancel,
    import_start,
    imports_sweep,
)
from tests.conftest import wait_for
from tests.customers.test_exactly_once import _worker_children
from tests.fixtures_stripe import first_account

Status = ImportRun.Status


@pytest.mark.worker
class TestKilledMidPage:
    @pytest.fixture
    def worker_env(self):
        return {"IMPORT_PAGE_SIZE": "5"}

    def test_the_import_continues_from_its_cursor_and_runs_once(
        self, merchant, live_server, celery_worker, settings, django_capture_on_commit_callbacks
    ):
        settings.IMPORT_PAGE_SIZE = 5
        for n in range(20):
            merchant.stripe.create_customer(email=f"imp{n}@firma.dk", name=f"Imp {n}")
        # Slow e-conomic writes: a page of five creates takes a couple of seconds.
        merchant.economic.set_faults(latency=0.4)
        stripe_reads = merchant.stripe.request_count(method="GET")
        with django_capture_on_commit_callbacks(execute=True):
            run = import_start(tenant=merchant.tenant, started_by="owner@firma.dk")

        wait_for(
            lambda: ImportRun.objects.for_tenant(merchant.tenant).get().customers_seen >= 5,
            timeout=60,
            message="the first page saved",
        )
        for pid in _worker_children(celery_worker):
            os.kill(pid, signal.SIGKILL)

        wait_for(
            lambda: ImportRun.objects.for_tenant(merchant.tenant).get().status == Status.FINISHED,
            timeout=90,
            message="the import finished after the kill",
        )
        run.refresh_from_db()
        assert run.customers_seen == 20 and sum(run.counts.values()) == 20
        assert len(merchant.economic.customers()) == 20
        _each_once_in_economic(merchant, SyncRecord.objects.for_tenant(merchant.tenant), "imp", 20)
        # Four pages, and again at most those after the saved cursor (the reader runs ahead of
        # it): not a restart from the top, which would read eight.
        assert merchant.stripe.request_count(method="GET") - stripe_reads <= 7


@pytest.mark.worker
class TestKilledMidPipeline:
    @pytest.fixture
    def worker_env(self):
        return {"IMPORT_PAGE_SIZE": "5", "IMPORT_LANES": "1"}

    def test_customers_synced_ahead_of_the_cursor_are_neither_lost_nor_doubled(
        self, merchant, live_server, celery_worker, settings, django_capture_on_commit_callbacks
    ):
        settings.IMPORT_PAGE_SIZE = 5
        for n in range(10):
            merchant.economic.add_customer(name=f"Known {n}", email=f"known{n}@firma.dk")
            merchant.stripe.create_customer(email=f"known{n}@firma.dk", name=f"Known {n}")
        # The newest, listed first: pages 1 and 2 are ten creates, in one create lane.
        for n in range(10):
            merchant.stripe.create_customer(email=f"new{n}@firma.dk", name=f"New {n}")
        merchant.economic.set_faults(latency=0.5)
        with django_capture_on_commit_callbacks(execute=True):
            run = import_start(tenant=merchant.tenant, started_by="owner@firma.dk")
        records = SyncRecord.objects.for_tenant(merchant.tenant)

        wait_for(
            lambda: records.filter(action="matched").count() == 10,
            timeout=60,
            message="pages 3 and 4 synced ahead of the creates",
        )
        for pid in _worker_children(celery_worker):
            os.kill(pid, signal.SIGKILL)
        run.refresh_from_db()
        assert run.customers_seen <= 10  # the cursor had not passed the matched customers' pages

        wait_for(
            lambda: ImportRun.objects.for_tenant(merchant.tenant).get().status == Status.FINISHED,
            timeout=90,
            message="the import finished after the kill",
        )
        run.refresh_from_db()
        assert sum(run.counts.values()) == 20
        assert len(merchant.economic.customers()) == 20  # the ten known and ten created, none twice
        _each_once_in_economic(merchant, records, "new", 10)
        # Synced ahead before the kill, recognised by their links after it: matched once each.
        assert records.filter(action="matched", stripe_email__startswith="known").count() == 10


def _each_once_in_economic(merchant, records, prefix: str, count: int) -> None:
    """Nothing lost: every Stripe customer linked, once. Nothing doubled: e-conomic holds one
    customer per link, and none was created twice. (A kill between a create's link and its record
    leaves that customer recorded as unchanged by the resumed import: linked all the same.)"""
    links = CustomerLink.objects.for_tenant(merchant.tenant)
    ids = set(records.filter(stripe_email__startswith=prefix).values_list("stripe_customer_id", flat=True))
    assert len(ids) == count
    assert links.filter(stripe_customer_id__in=ids).count() == count
    assert (
        links.values("stripe_customer_id").distinct().count()
        == links.count()
        == len(merchant.economic.customers())
    )
    created = records.filter(stripe_email__startswith=prefix, action="created")
    assert created.count() == created.values("stripe_customer_id").distinct().count()


@pytest.mark.django_db
def test_a_run_whose_worker_died_is_taken_over_by_the_sweeper(tenant, monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.run_import, "delay", lambda *args: sent.append(args))
    dead = ImportRun.objects.for_tenant(tenant).create(
        stripe_account=first_account(tenant),
        status=Status.RUNNING,
        cursor="cus_10",
        leased_by="dead-worker",
        leased_until=timezone.now() - timedelta(seconds=1),
        heartbeat=timezone.now() - timedelta(minutes=5),
    )
    alive = ImportRun.objects.for_tenant(tenant).create(
        stripe_account=first_account(tenant),
        status=Status.RUNNING,
        leased_by="busy",
        leased_until=timezone.now() + timedelta(minutes=1),
    )
    assert imports_sweep() == 1
    assert [args[0] for args in sent] == [dead.pk]
    dead.refresh_from_db()
    assert dead.leased_by == sent[0][1] and dead.cursor == "cus_10"
    alive.refresh_from_db()
    assert alive.leased_by == "busy"


@pytest.mark.django_db
def test_a_new_import_is_refused_only_while_one_is_alive(tenant, django_capture_on_commit_callbacks):
    first = import_start(tenant=tenant, started_by="a@firma.dk")
    with pytest.raises(ImportAlreadyRunning):
        import_start(tenant=tenant, started_by="b@firma.dk")
    # Its worker died and nobody took it over: it no longer blocks a new import.
    ImportRun.all_tenants.filter(pk=first.pk).update(leased_until=timezone.now() - timedelta(seconds=1))
    second = import_start(tenant=tenant, started_by="b@firma.dk")
    first.refresh_from_db()
    assert first.status == Status.FAILED and "replaced" in first.message
    assert second.status == Status.QUEUED


@pytest.mark.django_db
def test_cancel_stops_a_queued_import_at_once_and_a_running_one_after_its_page(tenant):
    idle = ImportRun.objects.for_tenant(tenant).create(
        stripe_account=first_account(tenant), status=Status.RUNNING
    )
    assert import_cancel(tenant=tenant, run_id=idle.pk).status == Status.CANCELLED
    busy = ImportRun.objects.for_tenant(tenant).create(
        stripe_account=first_account(tenant),
        status=Status.RUNNING,
        leased_by="w",
        leased_until=timezone.now() + timedelta(minutes=1),
    )
    busy = import_cancel(tenant=tenant, run_id=busy.pk)
    assert busy.status == Status.RUNNING and busy.cancel_requested


@pytest.mark.django_db
def test_the_import_tab_has_a_cancel_button_for_editors(owner_client, tenant):
    run = ImportRun.objects.for_tenant(tenant).create(
        stripe_account=first_account(tenant), status=Status.RUNNING
    )
    page = owner_client.get(reverse("import", args=[tenant.slug])).content.decode()
    assert reverse("import_cancel", args=[tenant.slug, run.pk]) in page
    response = owner_client.post(reverse("import_cancel", args=[tenant.slug, run.pk]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == Status.CANCELLED
