"""The guided go-live on the dashboard, and the sandbox's test account and console."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import ImportRun, StripeEvent, SyncRecord
from operations.golive import golive_steps
from syncapp.models import ConnectionStatus, EconomicConnection, StripeConnection
from tests.fixtures_merchant import configure
from tests.fixtures_stripe import first_account

pytestmark = pytest.mark.django_db


def _states(tenant) -> dict[str, str]:
    return {step.key: step.state for step in golive_steps(tenant)}


def test_a_new_tenant_starts_at_connecting_e_conomic(tenant):
    assert _states(tenant) == {
        "economic": "next",
        "stripe": "todo",
        "defaults": "todo",
        "dry_run": "todo",
        "import": "todo",
        "live": "todo",
    }


def test_each_step_is_done_as_the_merchant_gets_there(merchant):
    tenant = merchant.tenant
    assert _states(tenant)["economic"] == _states(tenant)["stripe"] == _states(tenant)["defaults"] == "done"
    assert _states(tenant)["dry_run"] == "next"
    # A dry run still going, or an import, is not having looked first.
    ImportRun.objects.for_tenant(tenant).create(
        stripe_account=first_account(tenant),
        dry_run=True,
        status=ImportRun.Status.RUNNING,
    )
    assert _states(tenant)["dry_run"] == "next"
    dry_run = ImportRun.objects.for_tenant(tenant).create(
        stripe_account=first_account(tenant),
        dry_run=True,
        status=ImportRun.Status.FINISHED,
    )
    steps = {step.key: step for step in golive_steps(tenant)}
    assert steps["dry_run"].state == "done" and steps["import"].state == "next"
    assert steps["dry_run"].url == reverse("import_report", args=[tenant.slug, dry_run.pk])
    ImportRun.objects.for_tenant(tenant).create(
        stripe_account=first_account(tenant),
        status=ImportRun.Status.FINISHED,
    )
    assert _states(tenant)["import"] == "done" and _states(tenant)["live"] == "next"
    event = StripeEvent.objects.for_tenant(tenant).create(
        stripe_account=first_account(tenant),
        stripe_event_id="evt_1",
        type="customer.created",
        stripe_created=timezone.now(),
        payload={},
    )
    SyncRecord.objects.for_tenant(tenant).create(
        stripe_customer_id="cus_1", action="created", message="x", event=event
    )
    assert set(_states(tenant).values()) == {"done"}

    # The merchant removes our app in Stripe: not live any more, and reconnecting is next.
    StripeConnection.objects.for_tenant(tenant).update(status=ConnectionStatus.REVOKED)
    assert _states(tenant) == {**dict.fromkeys(_states(tenant), "done"), "stripe": "next", "live": "todo"}
    StripeConnection.objects.for_tenant(tenant).update(status=ConnectionStatus.CONNECTED)
    assert set(_states(tenant).values()) == {"done"}


def test_missing_defaults_are_the_next_step(merchant):
    configure(merchant.tenant, defaults={"payment_terms_number": None})
    assert _states(merchant.tenant)["defaults"] == "next"


def test_the_connections_page_offers_a_sandbox_account(owner_client, tenant):
    html = owner_client.get(reverse("connections", args=[tenant.slug])).content.decode()
    assert "Use a sandbox test account" in html


def test_a_sandbox_account_connects_both_services(owner_client, tenant, economic_app_settings):
    response = owner_client.post(reverse("sandbox_account", args=[tenant.slug]))
    assert response.status_code == 302
    assert EconomicConnection.objects.for_tenant(tenant).get().status == ConnectionStatus.CONNECTED
    assert StripeConnection.objects.for_tenant(tenant).get().status == ConnectionStatus.CONNECTED
    console = owner_client.get(reverse("sandbox_console", args=[tenant.slug])).content.decode()
    assert console.count("Save in Stripe") == 10  # the newest 10 of the 20 seeded customers
    older = re.search(r'href="\?after=(cus_\w+)#stripe-customers">Older customers', console)
    assert older, "the console pages its customers"
    rest = owner_client.get(reverse("sandbox_console", args=[tenant.slug]), {"after": older.group(1)})
    assert rest.content.decode().count("Save in Stripe") == 10  # the other 10: all 20 reachable
    assert "Older customers" not in rest.content.decode()


def test_a_viewer_cannot_make_a_sandbox_account(viewer_client, tenant):
    assert viewer_client.post(reverse("sandbox_account", args=[tenant.slug])).status_code == 403
    assert not StripeConnection.objects.for_tenant(tenant).exclude(status="not_connected").exists()


def test_the_console_without_a_sandbox_account_changes_nothing(owner_client, tenant):
    response = owner_client.post(reverse("sandbox_customer_create", args=[tenant.slug]), {"name": "X"})
    assert response.status_code == 404
