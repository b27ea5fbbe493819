"""e-conomic's daily budget kept: an import spread over two budget windows ends complete with no
window over the budget; live syncs pause at the budget with a banner and resume by themselves;
owners hear at 80 %; the dry run says how long an import takes within the budget."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from customers.models import CustomerLink, ImportRun, StripeEvent
from customers.services import event_process, event_store
from customers.services.imports import import_run, import_start
from syncapp.connections.budget import budget_alerts_send, budget_of
from syncapp.connections.clients import economic_budget
from syncapp.connections.selectors import agreement_key
from syncapp.models import EconomicConnection
from tests.fixtures_stripe import first_account

Status = ImportRun.Status
BUDGET = 30
CUSTOMERS = 40


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=True) as traveller:
        yield traveller


@pytest.fixture
def small_budget(settings):
    """Our budget and the emulator's, the same size: the emulator refuses what ours lets past."""
    settings.ECONOMIC_DAILY_BUDGET = BUDGET
    settings.SANDBOX_ECONOMIC_DAILY_BUDGET = BUDGET
    settings.ECONOMIC_BUDGET_BACKGROUND_SHARE = 0.9  # an import spends at most 27 calls a window
    return settings


def key_of(merchant) -> str:
    return agreement_key(EconomicConnection.objects.for_tenant(merchant.tenant).get(), merchant.tenant)


def calls_within_a_day_after(merchant, start) -> int:
    return len(
        [r for r in merchant.economic.requests_since(0) if start <= r.created < start + timedelta(days=1)]
    )


def test_an_import_spanning_two_budget_windows_ends_complete_with_no_window_over_budget(
    merchant, small_budget, clock
):
    for n in range(CUSTOMERS):
        merchant.stripe.create_customer(email=f"budget{n}@firma.dk", name=f"Budget {n} ApS")
    began = timezone.now()
    run = import_start(tenant=merchant.tenant, started_by="test", queue=False)

    run = import_run(run_id=run.pk, token=run.leased_by)

    # The first window's share for imports is spent: the run waits, keeping its place.
    assert run.status == Status.RUNNING
    assert "continues by itself" in run.message and "30 calls per 24 hours" in run.message
    first = len(merchant.economic.customers())
    assert 0 < first < CUSTOMERS
    assert run.leased_until > timezone.now() + timedelta(hours=20)

    clock.shift(timedelta(hours=24, minutes=2))
    second_began = timezone.now()
    run = import_run(run_id=run.pk)

    assert run.status == Status.FINISHED, run.message
    assert len(merchant.economic.customers()) == CUSTOMERS
    assert CustomerLink.objects.for_tenant(merchant.tenant).exclude(
        economic_customer_number=None
    ).count() == (CUSTOMERS)
    log = merchant.economic.requests_since(0)
    assert [r for r in log if r.status == 429] == []
    assert calls_within_a_day_after(merchant, began) <= BUDGET * 0.9
    assert calls_within_a_day_after(merchant, second_began) <= BUDGET * 0.9
    # One index read per window, then one create per customer: none made twice.
    assert len([r for r in log if r.method == "POST"]) == CUSTOMERS


def test_live_syncs_pause_at_the_budget_with_a_banner_and_resume_by_themselves(
    merchant, small_budget, clock, owner_client
):
    customer = merchant.stripe.create_customer(email="live@firma.dk", name="Live ApS")
    for _ in range(BUDGET):
        economic_budget().spend(key_of(merchant))
    event, _ = event_store(
        tenant=merchant.tenant,
        stripe_account=first_account(merchant.tenant),
        event={
            "id": "evt_budget",
            "object": "event",
            "type": "customer.created",
            "created": int(timezone.now().timestamp()),
            "livemode": False,
            "data": {"object": {"id": customer["id"], "object": "customer"}},
            "request": {"id": None, "idempotency_key": None},
        },
    )
    mark = merchant.economic.mark()

    assert event_process(event_id=event.pk, token=event.leased_by) is None

    event.refresh_from_db()
    assert event.status == StripeEvent.Status.PENDING
    assert "daily budget for this agreement is used up" in event.last_error
    assert merchant.economic_calls(mark) == 0  # nothing was sent past the budget
    page = owner_client.get(reverse("dashboard", args=[merchant.tenant.slug])).content.decode()
    assert 'data-testid="budget-banner"' in page and "resume by themselves" in page
    assert f"{BUDGET}</span> of {BUDGET} calls" in page

    clock.shift(timedelta(hours=24, minutes=2))

    record = event_process(event_id=event.pk)
    assert record is not None and record.action == "created"
    page = owner_client.get(reverse("dashboard", args=[merchant.tenant.slug])).content.decode()
    assert 'data-testid="budget-banner"' not in page


def test_owners_are_told_once_at_80_percent(merchant, small_budget, owner, owner_client, settings):
    settings.METRICS_TOKEN = "scrape"
    for _ in range(BUDGET * 8 // 10 - 1):
        economic_budget().spend(key_of(merchant))
    assert budget_alerts_send() == 0
    economic_budget().spend(key_of(merchant))

    assert budget_alerts_send() == 1
    assert budget_alerts_send() == 0  # once per window

    (message,) = mail.outbox
    assert message.to == [owner.email]
    assert "80 % of e-conomic's daily API budget used" in message.subject
    assert "24 of the 30 API calls" in message.body
    scraped = owner_client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape").content.decode()
    assert f'syncapp_economic_budget_calls{{agreement="{key_of(merchant)}"}} 24.0' in scraped
    assert "syncapp_economic_budget_limit 30.0" in scraped


def test_the_dry_run_estimates_the_calls_against_the_budget_left(merchant, small_budget):
    for n in range(CUSTOMERS):
        merchant.stripe.create_customer(email=f"plan{n}@firma.dk", name=f"Plan {n} ApS")
    for _ in range(10):
        economic_budget().spend(key_of(merchant))
    run = import_start(tenant=merchant.tenant, started_by="test", dry_run=True, queue=False)

    run = import_run(run_id=run.pk, token=run.leased_by)

    assert run.status == Status.FINISHED
    # 1 index read + 40 creates, against 27 - 11 (the 10 spent and the dry run's own read) left.
    assert "about 41 e-conomic calls" in run.message
    assert "runs over 2 days" in run.message
    assert budget_of(tenant=merchant.tenant).usage.used == 11


def test_a_dry_run_within_the_budget_says_how_many_minutes(merchant):
    merchant.stripe.create_customer(email="one@firma.dk", name="One ApS")
    run = import_start(tenant=merchant.tenant, started_by="test", dry_run=True, queue=False)

    run = import_run(run_id=run.pk, token=run.leased_by)

    assert "about 2 e-conomic calls, within the" in run.message and "about 1 minute." in run.message
