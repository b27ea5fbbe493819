"""Commands, the sweeper, giving up after retries, the sync log page and the admin actions."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from customers import tasks
from customers.explanations import quoted
from customers.models import StripeEvent, SyncRecord
from customers.services import event_give_up, events_sweep, sync_record_failed
from customers.services.schedule import retry_delay
from tests.conftest import admin_login
from tests.factories import MembershipFactory
from tests.fixtures_stripe import stored_event


def test_tenant_sync_prints_one_json_line_per_customer(merchant, capsys):
    merchant.economic.add_customer(number=5, name="Known", email="known@firma.dk")
    customer = merchant.stripe.create_customer(email="known@firma.dk", name="Known")
    call_command("tenant_sync", merchant.tenant.slug, "--customer", customer["id"])
    line = json.loads(capsys.readouterr().out.strip())
    assert line["action"] == "matched" and line["number"] == 5
    assert "Found e-conomic customer 5" in line["message"]


def test_tenant_sync_dry_run_shows_the_payload_and_writes_nothing(merchant, capsys):
    customer = merchant.stripe.create_customer(email="new@firma.dk", name="New ApS")
    call_command("tenant_sync", merchant.tenant.slug, "--customer", customer["id"], "--dry-run")
    line = json.loads(capsys.readouterr().out.strip())
    assert line["action"] == "created" and line["number"] is None
    assert line["payload"]["name"] == "New ApS"
    assert merchant.economic.customers() == []


def test_tenant_sync_all_walks_every_stripe_customer(merchant, capsys):
    for n in range(3):
        merchant.stripe.create_customer(email=f"c{n}@firma.dk", name=f"C{n}")
    call_command("tenant_sync", merchant.tenant.slug, "--all")
    *lines, summary = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["action"] for line in lines] == ["created"] * 3
    assert summary == {"summary": {"created": 3}}
    assert len(merchant.economic.customers()) == 3


def test_tenant_sync_exits_1_when_a_customer_fails(merchant, capsys):
    customer = merchant.stripe.create_customer(name="No Mail")
    with pytest.raises(CommandError) as excinfo:
        call_command("tenant_sync", merchant.tenant.slug, "--customer", customer["id"])
    assert excinfo.value.returncode == 1
    assert json.loads(capsys.readouterr().out)["action"] == "failed"


@pytest.mark.django_db
def test_tenant_sync_unknown_slug_exits_2():
    with pytest.raises(CommandError) as excinfo:
        call_command("tenant_sync", "nope", "--customer", "cus_1")
    assert excinfo.value.returncode == 2


@pytest.mark.django_db
def test_sync_log_json_lists_newest_first(tenant, capsys):
    for n, action in enumerate(["created", "failed"]):
        SyncRecord.objects.for_tenant(tenant).create(
            stripe_customer_id=f"cus_{n}", action=action, message=f"m{n}"
        )
    call_command("sync_log", tenant.slug, "--limit", "5", "--json")
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["stripe_customer_id"], r["action"]) for r in rows] == [
        ("cus_1", "failed"),
        ("cus_0", "created"),
    ]


@pytest.mark.django_db
def test_sweeper_requeues_only_due_unleased_pending_events(tenant, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.process_event, "delay", lambda *args: queued.append(args))
    stale = stored_event(tenant, "evt_stale")
    StripeEvent.all_tenants.filter(pk=stale.pk).update(received=timezone.now() - timedelta(minutes=10))
    # Stored by the webhook: leased to the message it sent, so the sweeper leaves it alone.
    stored_event(tenant, "evt_fresh", leased_by="message", leased_until=timezone.now() + timedelta(minutes=2))
    # Waiting for its scheduled retry: not due, so no second chain starts.
    stored_event(tenant, "evt_waiting", next_attempt_at=timezone.now() + timedelta(minutes=5))
    done = stored_event(tenant, "evt_done", status=StripeEvent.Status.PROCESSED)
    StripeEvent.all_tenants.filter(pk=done.pk).update(received=timezone.now() - timedelta(minutes=10))
    assert events_sweep() == 1
    # The message carries the key of the customer's lock with the event's id and its lease.
    (sent,) = queued
    leased_by = StripeEvent.all_tenants.get(pk=stale.pk).leased_by
    assert sent == (stale.pk, leased_by, tenant.pk, stale.stripe_customer_id) and leased_by
    # Sent once: leased to that message until it is taken or the lease runs out.
    assert events_sweep() == 0


@pytest.mark.django_db
def test_giving_up_marks_the_event_failed_with_the_reason(tenant):
    event = stored_event(tenant, attempts=9)
    said = [{"code": "economic_server_error", "values": {"status": 503}}]
    record = event_give_up(event_id=event.pk, reason=said)
    event.refresh_from_db()
    assert event.status == "failed" and event.error_facts == said
    assert event.last_error == "e-conomic had a problem (HTTP 503); we will try again."
    assert record.action == "failed" and "Gave up after 9 attempts" in record.message


@pytest.mark.django_db
def test_giving_up_a_retried_customer_sync_explains_it_in_the_log(tenant):
    record = sync_record_failed(tenant=tenant, stripe_customer_id="cus_1", reason=[quoted("Stripe is down.")])
    assert record.action == SyncRecord.Action.FAILED and record.event is None
    assert record.message == (
        "Gave up after several attempts: Stripe is down. Retry it from the sync log when fixed."
    )


def test_retry_delay_honours_retry_after_and_grows(settings):
    assert retry_delay(0, 30) >= 30
    assert all(retry_delay(n, None) <= 3600 for n in range(40))
    assert max(retry_delay(6, None) for _ in range(50)) > 2
    # A huge Retry-After is capped at the longest backoff, an hour.
    assert retry_delay(1, 10**9) == 3600


@pytest.mark.django_db
def test_sync_log_page_filters_and_explains(owner_client, tenant):
    SyncRecord.objects.for_tenant(tenant).create(
        stripe_customer_id="cus_ok",
        stripe_email="ok@firma.dk",
        action="created",
        economic_customer_number=7,
        message="Created e-conomic customer 7.",
    )
    SyncRecord.objects.for_tenant(tenant).create(
        stripe_customer_id="cus_bad",
        action="failed",
        message="Stripe customer cus_bad has no email",
        economic_log_id="log-123",
    )
    page = owner_client.get(reverse("sync_log", args=[tenant.slug]), {"action": "failed"}).content.decode()
    assert "cus_bad" in page and "log-123" in page and "Retry" in page
    assert "cus_ok" not in page
    found = owner_client.get(reverse("sync_log", args=[tenant.slug]), {"q": "ok@firma"}).content.decode()
    assert "cus_ok" in found and "cus_bad" not in found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(search=st.text(max_size=30))
@example(search="²")
@example(search="\x00")
@example(search="99999999999999999999999")
@example(search="\x00")
def test_any_text_in_the_sync_log_search_is_answered_never_a_500(owner_client, tenant, search):
    response = owner_client.get(reverse("sync_log", args=[tenant.slug]), {"q": search, "action": search})
    assert response.status_code == 200


@pytest.mark.django_db
def test_viewer_sees_the_log_but_cannot_retry(viewer_client, tenant):
    record = SyncRecord.objects.for_tenant(tenant).create(
        stripe_customer_id="cus_bad", action="failed", message="x"
    )
    page = viewer_client.get(reverse("sync_log", args=[tenant.slug])).content.decode()
    assert "cus_bad" in page and "Retry" not in page
    assert viewer_client.post(reverse("sync_retry", args=[tenant.slug, record.pk])).status_code == 403


@pytest.mark.django_db
def test_retry_queues_a_sync_of_that_customer(
    owner_client, tenant, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(tasks.sync_customer, "delay", lambda *args: queued.append(args))
    record = SyncRecord.objects.for_tenant(tenant).create(
        stripe_customer_id="cus_bad", action="failed", message="x"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("sync_retry", args=[tenant.slug, record.pk]))
    assert response.status_code == 302
    assert queued == [(tenant.pk, "cus_bad")]


@pytest.mark.django_db
def test_one_merchant_cannot_retry_another_merchants_record(client, tenant):
    record = SyncRecord.objects.for_tenant(tenant).create(
        stripe_customer_id="cus_x", action="failed", message="x"
    )
    intruder = MembershipFactory(role="owner")
    client.force_login(intruder.user)
    response = client.post(reverse("sync_retry", args=[intruder.tenant.slug, record.pk]))
    assert response.status_code == 404


@pytest.mark.django_db
def test_dashboard_counts_the_last_day_by_action(owner_client, tenant):
    records = SyncRecord.objects.for_tenant(tenant)
    records.create(stripe_customer_id="cus_1", action="created", message="Created e-conomic customer 1.")
    records.create(stripe_customer_id="cus_2", action="failed", message="Ambiguous match: 11, 12")
    old = records.create(stripe_customer_id="cus_3", action="failed", message="old")
    SyncRecord.all_tenants.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=2))
    response = owner_client.get(reverse("dashboard", args=[tenant.slug]))
    panel = next(p for p in response.context["panels"] if p["template"] == "customers/panels/sync.html")
    assert panel["counts"]["created"] == 1 and panel["counts"]["failed"] == 1
    assert "Ambiguous match: 11, 12" in response.content.decode()


@pytest.mark.django_db
def test_admin_retry_queues_one_sync_per_customer_like_the_sync_log(
    client, tenant, django_user_model, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(tasks.sync_customer, "delay", lambda *args: queued.append(args))
    records = SyncRecord.objects.for_tenant(tenant)
    first = records.create(stripe_customer_id="cus_bad", action="failed", message="x")
    again = records.create(stripe_customer_id="cus_bad", action="failed", message="y")
    other = records.create(stripe_customer_id="cus_other", action="failed", message="z")
    staff = django_user_model.objects.create_superuser("s@example.com", "s@example.com", "pw-123456789")
    admin_login(client, staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:customers_syncrecord_changelist"),
            {"action": "retry_syncs", "_selected_action": [first.pk, again.pk, other.pk]},
        )
    assert sorted(queued) == [(tenant.pk, "cus_bad"), (tenant.pk, "cus_other")]


@pytest.mark.django_db
def test_admin_replay_requeues_the_event(
    client, tenant, django_user_model, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(tasks.process_event, "delay", lambda *args: queued.append(args))
    event = stored_event(tenant, status=StripeEvent.Status.FAILED, last_error="Ambiguous match")
    staff = django_user_model.objects.create_superuser("s@example.com", "s@example.com", "pw-123456789")
    admin_login(client, staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:customers_stripeevent_changelist"),
            {"action": "replay_events", "_selected_action": [event.pk], "confirm": "yes", "reason": "fixed"},
        )
    event.refresh_from_db()
    assert event.status == "pending"
    assert queued == [(event.pk, "", tenant.pk, event.stripe_customer_id)]


def test_a_throttled_event_stays_pending_with_the_reason_for_support(merchant):
    from customers.services import event_process

    customer = merchant.stripe.create_customer(email="t@firma.dk", name="T")
    event = stored_event(merchant.tenant, "evt_throttled", customer["id"])
    merchant.economic.set_faults(throttle=3, retry_after=4)
    assert event_process(event_id=event.pk) is None
    event.refresh_from_db()
    # The tenant's e-conomic work is paused for Retry-After: the attempt is not spent.
    assert event.status == "pending" and event.attempts == 0
    assert "slow down" in event.last_error
    assert event.next_attempt_at > timezone.now() + timedelta(seconds=3)


@pytest.mark.django_db
def test_an_unexpected_error_waits_its_turn_on_the_schedule(tenant, monkeypatch):
    from customers.services import event_process, events

    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(events, "customer_sync", broken)
    event = stored_event(tenant, "evt_bug")
    assert event_process(event_id=event.pk) is None
    event.refresh_from_db()
    # Pending, one attempt spent, due again after a backoff (not at the next sweep), lease given back.
    assert event.status == "pending" and event.attempts == 1
    assert "Unexpected error (RuntimeError)" in event.last_error
    assert event.next_attempt_at > timezone.now() and event.leased_by == ""
    assert event.retrying_since is not None
    # Not due, so neither a second message nor the sweeper runs it now.
    assert event_process(event_id=event.pk) is None and events_sweep() == 0
