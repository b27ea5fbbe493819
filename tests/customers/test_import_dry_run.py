"""The dry run: the import job itself writing nothing, with a report of what it would do; then the
real import of the same accounts doing exactly that.

Seeded over HTTP: 500 Stripe customers; e-conomic has 300 of their e-mails, ten of them twice (two
e-conomic customers per e-mail), with the default settings (match on e-mail, on_ambiguous: review).
"""

import csv
import io
import json
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation

from customers.models import CustomerLink, ImportReportRow, ImportRun, ReviewItem, SyncRecord
from customers.services.import_report import (
    SPREADSHEET_COLUMNS,
    WOULD,
    report_counts,
    report_csv_write,
    report_rows_for,
)
from customers.services.imports import import_run, import_start
from sandbox.economic_api.models import Grant
from sandbox.economic_api.seed import seed_agreement
from sandbox.stripe_api import control
from sandbox.stripe_api.seed import seed_account
from tests.factories import EconomicConnectionFactory, MembershipFactory
from tests.fixtures_economic import EconomicAgreement
from tests.fixtures_merchant import Merchant, configure
from tests.fixtures_stripe import StripeAccount, connect_stripe

STRIPE_CUSTOMERS = 500
KNOWN = 300  # Stripe customers whose e-mail e-conomic has
TWINS = range(290, 300)  # ... and of those, the ones e-conomic has twice
EMAILS = [f"kunde{n}@firma.dk" for n in range(STRIPE_CUSTOMERS)]


@pytest.fixture
def seeded(tenant, economic_app_settings, sandbox_urls, settings) -> Merchant:
    # What these tests claim is calls, rows and reports, not pace: at the default 5 calls a second
    # the real import's 200 creates would wait 40 s on our own throttle (whose rate
    # tests/clients/test_ratelimit.py holds to account).
    settings.ECONOMIC_RATE_PER_SECOND = 1000
    # e-conomic customers 1..300 have the first 300 e-mails; 301..310 repeat those of 291..300.
    token = seed_agreement(company_name="Seeded ApS", emails=EMAILS[:KNOWN] + [EMAILS[n] for n in TWINS])
    agreement = Grant.objects.select_related("agreement").get(token=token).agreement
    EconomicConnectionFactory(tenant=tenant, grant_token=token, agreement_number=agreement.agreement_number)
    api_key = seed_account(customers=STRIPE_CUSTOMERS, emails=EMAILS, seed=12)
    connect_stripe(tenant, api_key)
    configure(tenant)
    stripe = StripeAccount(api_key=api_key, account=control.account_for_key(api_key))
    return Merchant(tenant, EconomicAgreement(grant_token=token, agreement=agreement), stripe)


def _start(merchant: Merchant, *, dry_run: bool) -> ImportRun:
    run = import_start(tenant=merchant.tenant, started_by="test", dry_run=dry_run, queue=False)
    return import_run(run_id=run.pk, token=run.leased_by)


def _stripe_metadata(merchant: Merchant) -> dict[str, dict]:
    return {c.stripe_id: c.data.get("metadata") for c in merchant.stripe.account.customers.all()}


def _written(merchant: Merchant) -> tuple[int, int, int, int]:
    tenant = merchant.tenant
    return (
        len(merchant.economic.customers()),
        SyncRecord.objects.for_tenant(tenant).count(),
        CustomerLink.objects.for_tenant(tenant).count(),
        ReviewItem.objects.for_tenant(tenant).count(),
    )


@pytest.mark.long
def test_the_dry_run_reports_what_the_import_then_does_and_writes_nothing(seeded):
    tenant = seeded.tenant
    twins = {EMAILS[n] for n in TWINS}
    metadata_before = _stripe_metadata(seeded)
    assert _written(seeded) == (KNOWN + len(TWINS), 0, 0, 0)
    economic_mark = seeded.economic.mark()
    stripe_reads = seeded.stripe.request_count(method="GET")
    stripe_writes = seeded.stripe.request_count(method="POST")

    dry = _start(seeded, dry_run=True)

    assert dry.status == ImportRun.Status.FINISHED, dry.message
    assert dry.customers_seen == STRIPE_CUSTOMERS and dry.economic_customers_preloaded == 310
    counts = report_counts(tenant=tenant, run=dry)
    assert {action: n for action, n in counts.items() if n} == {
        "would_match": KNOWN - len(TWINS),
        "would_create": STRIPE_CUSTOMERS - KNOWN,
        "needs_review": len(TWINS),
    }
    # e-conomic: one page of 1000 read to preload the index, nothing else (no search per customer).
    assert [(r.method, r.path) for r in seeded.economic.requests_since(economic_mark)] == [
        ("GET", "/sandbox/economic/customers")
    ]
    # Stripe: five pages of 100 read, nothing written; no customer fetched again.
    assert seeded.stripe.request_count(method="GET") - stripe_reads == 5
    assert seeded.stripe.request_count(method="POST") == stripe_writes
    # Nothing written anywhere: e-conomic, Stripe's metadata, the sync log, links, review queue.
    assert _written(seeded) == (KNOWN + len(TWINS), 0, 0, 0)
    assert _stripe_metadata(seeded) == metadata_before

    rows = list(report_rows_for(tenant=tenant, run=dry))
    review = [row for row in rows if row.action == "needs_review"]
    assert {row.email for row in review} == twins
    assert all(row.match_rule == "rule 1: email" and "would wait" in row.message for row in review)
    matched = [row for row in rows if row.action == "would_match"]
    assert {row.economic_customer_number for row in matched} == set(range(1, KNOWN - len(TWINS) + 1))
    assert all(EMAILS[row.economic_customer_number - 1] == row.email for row in matched)
    # e-conomic's own duplicates, by number: the customers sharing each twin e-mail.
    assert dry.economic_duplicates == [
        {"field": "email", "customer_numbers": [n + 1, KNOWN + n - TWINS.start + 1]} for n in TWINS
    ]

    economic_mark = seeded.economic.mark()
    stripe_reads = seeded.stripe.request_count(method="GET")
    real = _start(seeded, dry_run=False)

    assert real.status == ImportRun.Status.FINISHED, real.message
    assert real.counts == {
        "matched": KNOWN - len(TWINS),
        "created": STRIPE_CUSTOMERS - KNOWN,
        "needs_review": 10,
    }
    calls = seeded.economic.requests_since(economic_mark)
    assert sum(r.method == "GET" for r in calls) == 1
    assert sum(r.method == "POST" for r in calls) == STRIPE_CUSTOMERS - KNOWN
    assert len(calls) == 1 + STRIPE_CUSTOMERS - KNOWN
    assert seeded.stripe.request_count(method="GET") - stripe_reads == 5
    # The number written back to each linked Stripe customer: one write each.
    linked = STRIPE_CUSTOMERS - len(TWINS)
    assert seeded.stripe.request_count(method="POST") - stripe_writes == linked
    assert _written(seeded) == (KNOWN + len(TWINS) + STRIPE_CUSTOMERS - KNOWN, STRIPE_CUSTOMERS, linked, 10)
    # Customer by customer, the import did what the dry run said it would.
    would = {row.stripe_customer_id: row for row in rows}
    for record in SyncRecord.objects.for_tenant(tenant):
        row = would[record.stripe_customer_id]
        assert row.action == WOULD[record.action]
        if record.action == "matched":
            assert row.economic_customer_number == record.economic_customer_number


def test_the_csv_download_is_the_report(seeded, client):
    dry = _start(seeded, dry_run=True)
    client.force_login(MembershipFactory(tenant=seeded.tenant, role="viewer").user)

    # The download is for a spreadsheet (issue 21): a byte-order mark, actions in words; a reader
    # whose language writes 1,5 gets semicolons, as their Excel expects.
    response = client.get(
        reverse("import_report_csv", args=[seeded.tenant.slug, dry.pk]), HTTP_ACCEPT_LANGUAGE="da-DK,da;q=0.9"
    )

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    header, *lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    # A Danish reader's spreadsheet is in Danish: columns, outcomes, rules and explanations.
    with translation.override("da"):
        assert header == [str(column) for column in SPREADSHEET_COLUMNS]
        assert header[:4] == ["Stripe-id", "e-mail", "navn", "handling"]
        words = dict(ImportReportRow.Action.choices)
        expected = [
            [
                r.stripe_customer_id,
                r.email,
                r.name,
                str(words[r.action]),
                str(r.economic_customer_number or ""),
                r.match_rule_text,
                r.explanation,
            ]
            for r in ImportReportRow.objects.for_tenant(seeded.tenant).filter(run=dry)
        ]
    assert any(line[3] == "Skal gennemgås" and line[5] == "regel 1: e-mail" for line in lines)
    assert lines == expected and len(lines) == STRIPE_CUSTOMERS
    page = client.get(reverse("import_report", args=[seeded.tenant.slug, dry.pk]), {"action": "needs_review"})
    html = page.content.decode()
    assert "Before you go live" in html
    assert re.search(r"Customers <a [^>]*>291</a>, <a [^>]*>301</a>", html)
    assert html.count('<span class="badge warn">Needs review</span>') == len(TWINS)


def test_a_customer_the_dry_run_would_create_is_matched_by_the_next_with_its_email(merchant):
    merchant.stripe.create_customer(email="twice@firma.dk", name="Twice")
    merchant.stripe.create_customer(email="TWICE@firma.dk", name="Twice again")

    dry = _start(merchant, dry_run=True)
    rows = list(report_rows_for(tenant=merchant.tenant, run=dry))

    assert sorted(row.action for row in rows) == ["would_create", "would_match"]
    first, second = sorted(rows, key=lambda row: row.action)
    assert f"would create for {first.stripe_customer_id}" in second.message
    assert merchant.economic.customers() == []
    real = _start(merchant, dry_run=False)
    assert real.counts == {"created": 1, "matched": 1}


def test_the_report_csv_written_by_the_command_is_the_download(merchant, tmp_path, capsys):
    merchant.stripe.create_customer(email="a@firma.dk", name="A ApS")
    path = tmp_path / "report.csv"
    call_command("tenant_sync", merchant.tenant.slug, "--all", "--dry-run", "--csv", str(path))
    run = ImportRun.objects.for_tenant(merchant.tenant).get()
    expected = io.StringIO()
    report_csv_write(report_rows_for(tenant=merchant.tenant, run=run), expected)
    assert path.read_bytes().decode("utf-8") == expected.getvalue()
    assert ",A ApS,would_create," in expected.getvalue()


def _command(*args) -> tuple[int, list[dict]]:
    """Run tenant_sync; (exit code, the JSON lines it printed)."""
    out = io.StringIO()
    try:
        call_command("tenant_sync", *args, stdout=out)
        code = 0
    except CommandError as exc:
        code = exc.returncode
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def test_the_command_runs_the_import_job_and_exits_0_when_everything_synced(merchant):
    merchant.economic.add_customer(name="Known", email="known@firma.dk")
    known = merchant.stripe.create_customer(email="known@firma.dk", name="Known")
    merchant.stripe.create_customer(email="new@firma.dk", name="New ApS")
    mark = merchant.economic.mark()

    code, lines = _command(merchant.tenant.slug, "--all")

    assert code == 0
    assert lines[-1] == {"summary": {"matched": 1, "created": 1}}
    line = next(line for line in lines if line.get("customer") == known["id"])
    assert (line["action"], line["number"], line["rule"]) == ("matched", 1, "rule 1: email")
    run = ImportRun.objects.for_tenant(merchant.tenant).get()  # the Import tab's job, shown there too
    assert run.status == ImportRun.Status.FINISHED and run.counts == {"matched": 1, "created": 1}
    # The preload and one create: no search per customer.
    assert [r.method for r in merchant.economic.requests_since(mark)] == ["GET", "POST"]


def test_the_command_exits_1_when_customers_need_review_and_a_dry_run_writes_nothing(merchant):
    for name in ("Twin A/S", "Twin ApS"):
        merchant.economic.add_customer(name=name, email="twin@firma.dk")
    merchant.stripe.create_customer(email="twin@firma.dk", name="Twin")
    merchant.stripe.create_customer(email="solo@firma.dk", name="Solo")

    code, lines = _command(merchant.tenant.slug, "--all", "--dry-run")

    assert code == 1
    assert lines[-1] == {"summary": {"needs_review": 1, "would_create": 1}}
    assert len(merchant.economic.customers()) == 2
    assert not SyncRecord.objects.for_tenant(merchant.tenant).exists()
    assert not ReviewItem.objects.for_tenant(merchant.tenant).exists()


def test_operator_errors_exit_2(merchant):
    assert _command("nobody", "--all") == (2, [])
    assert _command(merchant.tenant.slug, "--all", "--csv", "x.csv") == (2, [])  # --csv needs --dry-run
    import_start(tenant=merchant.tenant, started_by="owner@firma.dk", queue=False)  # alive: its lease is held
    assert _command(merchant.tenant.slug, "--all", "--dry-run") == (2, [])
    assert ImportRun.objects.for_tenant(merchant.tenant).count() == 1


@pytest.mark.django_db
def test_a_tenant_without_e_conomic_is_an_operator_error(stripe_connected_tenant):
    assert _command(stripe_connected_tenant.slug, "--all") == (2, [])
    assert not ImportRun.objects.for_tenant(stripe_connected_tenant).exists()


def test_a_name_that_is_a_spreadsheet_formula_is_written_as_text():
    row = ImportReportRow(
        stripe_customer_id="cus_1",
        email="a@firma.dk",
        name='=HYPERLINK("http://x.example")',
        action="would_create",
    )
    out = io.StringIO()
    report_csv_write([row], out)
    _, line = list(csv.reader(io.StringIO(out.getvalue())))
    assert line[:4] == ["cus_1", "a@firma.dk", '\'=HYPERLINK("http://x.example")', "would_create"]


def test_a_page_done_again_after_a_killed_worker_keeps_one_report_row_per_customer(merchant):
    for n in range(3):
        merchant.stripe.create_customer(email=f"c{n}@firma.dk", name=f"C{n}")
    dry = _start(merchant, dry_run=True)
    # As if the worker died before saving the cursor: the sweeper's next holder starts the page again.
    ImportRun.all_tenants.filter(pk=dry.pk).update(status=ImportRun.Status.RUNNING, cursor="", counts={})
    import_run(run_id=dry.pk)
    assert report_counts(tenant=merchant.tenant, run=dry)["would_create"] == 3
    assert report_rows_for(tenant=merchant.tenant, run=dry).count() == 3
