"""A dry run's report holds personal data (e-mail, name, values quoted in messages): the customer's
erasure removes their rows, and retention deletes reports older than DRY_RUN_REPORT_RETENTION_DAYS."""

from datetime import timedelta

from django.utils import timezone

from customers.models import ImportReportRow, ImportRun
from customers.privacy.erasure import customer_erase
from customers.privacy.retention import RemovalReason, personal_data_purge
from customers.services.imports import import_run, import_start

from .helpers import tables_containing

EMAIL = "erase.me@firma.dk"
NAME = "Erase Me ApS"


def _dry_run(merchant) -> ImportRun:
    run = import_start(tenant=merchant.tenant, started_by="owner@firma.dk", dry_run=True, queue=False)
    return import_run(run_id=run.pk, token=run.leased_by)


def test_erasing_a_customer_leaves_no_copy_in_any_dry_run_report(merchant):
    # Twins in e-conomic: the report's message quotes the e-mail, and the run lists the duplicates.
    for name in ("Twin A/S", "Twin ApS"):
        merchant.economic.add_customer(name=name, email=EMAIL)
    erased = merchant.stripe.create_customer(email=EMAIL, name=NAME)
    merchant.stripe.create_customer(email="keep@firma.dk", name="Keep ApS")
    run = _dry_run(merchant)
    assert tables_containing(EMAIL) and tables_containing(NAME)  # the copies exist
    assert run.economic_duplicates == [{"field": "email", "customer_numbers": [1, 2]}]

    customer_erase(tenant=merchant.tenant, stripe_customer_id=erased["id"], reason=RemovalReason.REQUESTED)

    assert tables_containing(EMAIL) == {}
    assert tables_containing(NAME) == {}
    assert tables_containing("keep@firma.dk") == {"customers.ImportReportRow.email": 1}


def test_reports_of_dry_runs_older_than_the_retention_are_purged(merchant, settings):
    settings.DRY_RUN_REPORT_RETENTION_DAYS = 30
    merchant.stripe.create_customer(email=EMAIL, name=NAME)
    old, recent = _dry_run(merchant), _dry_run(merchant)
    ImportRun.all_tenants.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=31))

    report = personal_data_purge()

    assert report.report_rows == 1
    assert not ImportReportRow.objects.for_tenant(merchant.tenant).filter(run=old).exists()
    assert ImportReportRow.objects.for_tenant(merchant.tenant).filter(run=recent).count() == 1
    assert personal_data_purge().report_rows == 0
    ImportRun.all_tenants.get(pk=old.pk)  # the run itself (counts, numbers) stays
