"""The Import tab follows the go-live checklist: the dry run first, an import only once confirmed
with the dry run's counts, progress shown while it runs; the dry run's CSV opens right in Excel."""

import csv
import io
import re
from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from customers.models import ImportReportRow, ImportRun
from customers.selectors import import_progress_for
from customers.services.import_report import (
    FOR_SCRIPTS,
    SPREADSHEET_COLUMNS,
    report_csv_write,
    spreadsheet_style,
)
from tests.fixtures_stripe import first_account

pytestmark = pytest.mark.django_db


def _dry_run(tenant, **fields) -> ImportRun:
    defaults = {"dry_run": True, "status": ImportRun.Status.FINISHED, "customers_seen": 20}
    return ImportRun.objects.for_tenant(tenant).create(
        stripe_account=first_account(tenant), **{**defaults, **fields}
    )


def test_before_any_dry_run_the_dry_run_is_the_primary_button(owner_client, tenant):
    html = owner_client.get(reverse("import", args=[tenant.slug])).content.decode()
    assert 'data-testid="dry-run-first"' in html
    assert re.search(r'<button [^>]*class="primary"[^>]*>Dry run</button>', html)
    assert not re.search(r'<button [^>]*class="primary"[^>]*>Import all Stripe customers', html)
    _dry_run(tenant, counts={"created": 12, "matched": 8})
    html = owner_client.get(reverse("import", args=[tenant.slug])).content.decode()
    assert "Dry run again" in html and "12 would be created, 8 would be matched" in html
    assert re.search(r'<button [^>]*class="primary"[^>]*>Import all Stripe customers</button>', html)


def test_import_asks_for_confirmation_with_the_dry_runs_counts_and_starts_nothing(owner_client, tenant):
    _dry_run(tenant, counts={"created": 12, "matched": 8, "failed": 1})
    with mock.patch("customers.views.import_start") as start:
        response = owner_client.post(reverse("import_start", args=[tenant.slug]))
    start.assert_not_called()
    assert response.status_code == 200
    assert response.context["would"] == [
        ("would_match", "Would match", 8),
        ("would_create", "Would create", 12),
        ("would_fail", "Would fail", 1),
    ]
    assert "Yes, import them" in response.content.decode()
    with mock.patch("customers.views.import_start") as start:
        confirmed = owner_client.post(reverse("import_start", args=[tenant.slug]), {"confirmed": "yes"})
    assert confirmed.status_code == 302
    start.assert_called_once_with(tenant=tenant, started_by=mock.ANY, dry_run=False, stripe_account=None)


def test_without_a_dry_run_the_confirmation_offers_one_first(owner_client, tenant):
    response = owner_client.post(reverse("import_start", args=[tenant.slug]))
    html = response.content.decode()
    assert "You have not done a dry run" in html and "Dry run first" in html
    assert not ImportRun.objects.for_tenant(tenant).exists()


def test_a_running_import_shows_a_bar_with_counts_and_an_estimate_and_refreshes_itself(owner_client, tenant):
    _dry_run(tenant, customers_seen=200)
    running = ImportRun.objects.for_tenant(tenant).create(
        stripe_account=first_account(tenant), status=ImportRun.Status.RUNNING, customers_seen=50
    )
    ImportRun.objects.for_tenant(tenant).filter(pk=running.pk).update(
        created=timezone.now() - timedelta(seconds=60)
    )
    running.refresh_from_db()

    progress = import_progress_for(tenant=tenant, run=running)
    assert (progress.seen, progress.total, progress.percent) == (50, 200, 25)
    assert 175 <= progress.seconds_left <= 185  # 150 more at 50 a minute

    html = owner_client.get(reverse("import", args=[tenant.slug])).content.decode()
    assert '<progress data-testid="import-progress" max="200" value="50"' in html
    assert "50 of about 200 Stripe customers, about 3 min left" in html
    assert f'data-refresh="{reverse("import", args=[tenant.slug])}"' in html
    assert 'http-equiv="refresh"' not in html  # no reloading the whole page every few seconds


def test_a_first_import_has_no_total_to_measure_against_yet(tenant):
    running = ImportRun.objects.for_tenant(tenant).create(
        stripe_account=first_account(tenant), status=ImportRun.Status.RUNNING, customers_seen=7
    )
    progress = import_progress_for(tenant=tenant, run=running)
    assert (progress.total, progress.percent, progress.seconds_left) == (None, None, None)


ROW = ImportReportRow(
    stripe_customer_id="cus_1",
    email="ø@firma.dk",
    name="Bølge ApS",
    action="would_create",
    message="Ny kunde.",
)


def test_the_spreadsheet_csv_has_a_byte_order_mark_semicolons_and_words():
    out = io.StringIO()
    report_csv_write([ROW], out, style=spreadsheet_style(semicolons=True))
    text = out.getvalue()
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))[1] == [
        "cus_1", "ø@firma.dk", "Bølge ApS", "Would create", "", "", "Ny kunde.",
    ]  # fmt: skip


def test_the_scripts_csv_keeps_commas_and_the_action_keys():
    out = io.StringIO()
    report_csv_write([ROW], out, style=FOR_SCRIPTS)
    assert out.getvalue().startswith("Stripe id,") and ",would_create," in out.getvalue()


@pytest.mark.parametrize(
    ("accept_language", "query", "separator"),
    [
        ("da-DK,da;q=0.9,en;q=0.8", {}, ";"),
        ("de-DE", {}, ";"),
        ("en-US,en;q=0.9", {}, ","),
        ("", {}, ","),
        ("da", {"separator": "comma"}, ","),  # the member's choice wins
        ("en-GB", {"separator": "semicolon"}, ";"),
        ("en", {"separator": "tab"}, ","),  # junk is no choice
    ],
)
def test_the_download_uses_the_readers_separator_or_their_choice(
    owner_client, tenant, accept_language, query, separator
):
    run = _dry_run(tenant)
    ImportReportRow.objects.for_tenant(tenant).create(
        run=run, stripe_customer_id="cus_1", action="would_match"
    )
    response = owner_client.get(
        reverse("import_report_csv", args=[tenant.slug, run.pk]), query, HTTP_ACCEPT_LANGUAGE=accept_language
    )
    header = response.content.decode("utf-8-sig").splitlines()[0]
    # The columns in the reader's language (docs/i18n.md): a Danish browser reads Danish ones.
    with translation.override(response["Content-Language"]):
        assert header == separator.join(str(column) for column in SPREADSHEET_COLUMNS)
    if accept_language.startswith("da"):
        assert header.split(separator)[3] == "handling"
