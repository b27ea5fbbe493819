"""The go-live walk in Chromium, as a new person in `make run` does it: sign up, use a sandbox test
account, set the defaults, create a Stripe customer in the sandbox console and watch its webhook
sync land. The walk's duration is printed (the goal: a person gets there in under 3 minutes)."""

import time

import pytest
from celery import current_app
from playwright.sync_api import expect

from customers.models import SyncRecord
from syncapp.models import Tenant
from tests.conftest import ROOT

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"golive-{name}.png"), full_page=True)


@pytest.fixture
def tasks_in_process():
    """`make run` has no broker: tasks run in the web process, as here."""
    eager, current_app.conf.task_always_eager = current_app.conf.task_always_eager, True
    yield
    current_app.conf.task_always_eager = eager


@pytest.mark.django_db(transaction=True)
def test_sign_up_to_first_customer_synced(
    page, live_server, sandbox_urls, economic_app_settings, tasks_in_process
):
    started = time.monotonic()
    page.goto(f"{live_server.url}/signup/")
    page.get_by_label("Company name").fill("Kobber Kaffe IVS")
    page.get_by_label("E-mail").fill("ida@kobberkaffe.dk")
    page.get_by_label("Password").fill("correct horse battery 7")
    page.get_by_role("button", name="Sign up").click()

    steps = page.get_by_test_id("golive-panel")
    expect(steps).to_contain_text("Going live: 0 of 6 done")
    expect(page.get_by_test_id("golive-step-economic")).to_have_attribute("data-state", "next")
    shot(page, "1-dashboard")
    steps.get_by_role("link", name="Connect e-conomic").click()

    page.get_by_role("button", name="Use a sandbox test account").click()
    expect(page.get_by_role("status")).to_contain_text("Connected to a sandbox test account")
    expect(page.get_by_test_id("golive-step-stripe")).to_have_attribute("data-state", "done")
    expect(page.get_by_test_id("golive-step-defaults")).to_have_attribute("data-state", "next")
    shot(page, "2-connected")

    steps.get_by_role("link", name="Set customer defaults").click()
    form = page.get_by_test_id("defaults-form")
    form.get_by_label("Payment terms").select_option(index=1)
    form.get_by_label("Customer group").select_option(index=1)
    form.get_by_label("Currency").select_option(value="DKK")
    form.get_by_label("VAT zone", exact=True).select_option(index=1)
    form.get_by_role("button", name="Save defaults").click()
    expect(page.get_by_role("status")).to_be_visible()

    page.goto(f"{live_server.url}/t/kobber-kaffe-ivs/sandbox/")
    page.get_by_label("Name").first.fill("Solsort Tryk ApS")
    page.get_by_label("E-mail").first.fill("ordre@solsort-tryk.dk")
    page.get_by_role("button", name="Create in Stripe").click()
    syncs = page.get_by_test_id("console-syncs")
    expect(syncs).to_contain_text("ordre@solsort-tryk.dk", timeout=20_000)
    expect(syncs).to_contain_text("Created e-conomic customer")
    elapsed = time.monotonic() - started
    shot(page, "3-console")

    tenant = Tenant.objects.get(slug="kobber-kaffe-ivs")
    record = SyncRecord.objects.for_tenant(tenant).get(stripe_email="ordre@solsort-tryk.dk")
    assert record.action == SyncRecord.Action.CREATED and record.event is not None
    page.goto(f"{live_server.url}/t/kobber-kaffe-ivs/")
    expect(page.get_by_test_id("golive-step-live")).to_have_attribute("data-state", "done")
    shot(page, "4-live")

    # The console changes and deletes it too; each webhook's sync lands in the table by itself.
    page.goto(f"{live_server.url}/t/kobber-kaffe-ivs/sandbox/")
    page.get_by_label("Name").nth(1).fill("Solsort Tryk & Design ApS")
    page.get_by_role("button", name="Save in Stripe").first.click()
    expect(page.get_by_test_id("console-syncs")).to_contain_text("Updated e-conomic customer", timeout=20_000)
    page.get_by_role("button", name=f"Delete {record.stripe_customer_id}").click()
    expect(page.get_by_test_id("console-syncs")).to_contain_text("was deleted in Stripe", timeout=20_000)
    shot(page, "5-console-changed")
    print(f"\nGo-live walk: sign-up to first customer synced in {elapsed:.1f} s")
    (ARTIFACTS / "golive-walk-seconds.txt").write_text(f"{elapsed:.2f}\n")
