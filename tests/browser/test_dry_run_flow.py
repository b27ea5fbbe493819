"""The dry run in Chromium, with real workers: a merchant clicks Dry run, reads the report's counts
and e-conomic's duplicates, and downloads the CSV; nothing was written."""

import csv

import pytest
from playwright.sync_api import expect

from customers.models import SyncRecord
from tests.conftest import ROOT
from tests.factories import MembershipFactory


@pytest.mark.browser
@pytest.mark.worker
def test_merchant_dry_runs_the_import_reads_the_report_and_downloads_it(
    merchant, page, live_server, login_page, celery_worker, tmp_path
):
    for n in range(3):
        merchant.economic.add_customer(name=f"Kendt {n} ApS", email=f"kendt{n}@firma.dk")
        merchant.stripe.create_customer(email=f"kendt{n}@firma.dk", name=f"Kendt {n} ApS")
    for name in ("Tvilling A/S", "Tvilling ApS"):
        merchant.economic.add_customer(name=name, email="tvilling@firma.dk")
    merchant.stripe.create_customer(email="tvilling@firma.dk", name="Tvilling")
    for n in range(2):
        merchant.stripe.create_customer(email=f"ny{n}@firma.dk", name=f"Ny {n} ApS")
    merchant.stripe.create_customer(name="Uden E-mail")  # no e-mail to match on: would fail
    login_page(MembershipFactory(tenant=merchant.tenant, role="owner").user)
    page.goto(f"{live_server.url}/t/{merchant.tenant.slug}/import/")

    page.get_by_role("button", name="Dry run").click()
    expect(page.get_by_test_id("imports")).to_contain_text("Finished", timeout=30_000)
    page.screenshot(path=str(ROOT / "test-artifacts" / "import_with_dry_run.png"), full_page=True)
    page.get_by_role("link", name="See the report").click()

    counts = page.get_by_test_id("report-counts")
    for action, n in (("would_match", 3), ("would_create", 2), ("would_update", 0), ("would_fail", 1)):
        expect(counts.get_by_test_id(f"count-{action}")).to_contain_text(str(n))
    expect(counts.get_by_test_id("count-needs_review")).to_contain_text("1")
    expect(page.get_by_test_id("economic-duplicates")).to_contain_text("Customers 4, 5")
    expect(page.get_by_test_id("report-rows").locator("tbody tr")).to_have_count(7)
    page.screenshot(path=str(ROOT / "test-artifacts" / "dry_run_report.png"), full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    saved = tmp_path / "report.csv"
    download.value.save_as(saved)
    # For a spreadsheet (issue 21): a byte-order mark, the actions in words; an English browser
    # gets commas.
    header, *rows = list(csv.reader(saved.open(encoding="utf-8-sig", newline="")))
    assert header == ["Stripe id", "e-mail", "name", "action", "e-conomic number", "rule", "message"]
    assert sorted(row[3] for row in rows) == sorted(
        ["Would match"] * 3 + ["Would create"] * 2 + ["Needs review", "Would fail"]
    )

    page.get_by_test_id("count-needs_review").click()  # a tile filters the rows
    expect(page.get_by_test_id("report-rows").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("report-rows")).to_contain_text("tvilling@firma.dk")
    assert not SyncRecord.objects.for_tenant(merchant.tenant).exists()
    assert len(merchant.economic.customers()) == 5
