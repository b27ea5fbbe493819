"""Offboarding: closing removes our Stripe endpoint and the e-conomic grant at once, every row of the
tenant after the grace period; support's tenant_delete; the owner's export holds what the pages show."""

import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from customers.models import CustomerLink
from customers.services import event_store
from mappings.services import settings_save
from sandbox.stripe_api.models import WebhookEndpoint
from syncapp.models import EconomicConnection, StripeConnection, Tenant
from syncapp.offboarding import tenant_owned_models, tenants_delete_due
from tests.factories import MembershipFactory, TenantFactory, settings_document
from tests.fixtures_stripe import connect_stripe, first_account

from .helpers import record
from .test_retention import stripe_event


def rows_of(tenant_pk: int) -> dict[str, int]:
    """Rows still pointing at the tenant, in every tenant-owned table of the app registry."""
    counts = {
        m._meta.label: m._base_manager.filter(tenant_id=tenant_pk).count() for m in tenant_owned_models()
    }
    return {label: n for label, n in counts.items() if n}


def some_history(tenant) -> None:
    settings_save(tenant=tenant, user=None, document=settings_document(), source="test")
    event_store(tenant=tenant, stripe_account=first_account(tenant), event=stripe_event("evt_1"))
    record(tenant)
    CustomerLink.objects.for_tenant(tenant).create(
        stripe_account=first_account(tenant), stripe_customer_id="cus_A", economic_customer_number=1042
    )


def test_closing_removes_the_endpoint_and_grant_then_every_row_after_the_grace_period(
    client, merchant, mailoutbox
):
    tenant = merchant.tenant
    endpoint = merchant.stripe.add_webhook_endpoint(
        f"https://example.test{first_account(tenant).webhook_path}"
    )
    connect_stripe(
        tenant, merchant.stripe.api_key, webhook_secret=endpoint["secret"], endpoint_id=endpoint["id"]
    )
    owner = MembershipFactory(tenant=tenant, role="owner").user
    some_history(tenant)
    client.force_login(owner)

    response = client.post(reverse("account_close", args=[tenant.slug]), {"confirm_slug": tenant.slug})

    assert response.status_code == 302
    assert not WebhookEndpoint.objects.filter(stripe_id=endpoint["id"]).exists()
    assert not StripeConnection.objects.for_tenant(tenant).get().webhook_endpoint_stripe_id
    assert EconomicConnection.objects.for_tenant(tenant).get().status == "not_connected"
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [owner.email]
    assert "will be deleted" in mailoutbox[0].subject
    tenant.refresh_from_db()
    assert tenant.delete_after - tenant.closing_requested_at == timedelta(days=7)

    assert tenants_delete_due(now=timezone.now() + timedelta(days=6)) == []
    assert rows_of(tenant.pk)  # still there in the grace period
    assert tenants_delete_due(now=timezone.now() + timedelta(days=7, minutes=1)) == [tenant.slug]

    assert rows_of(tenant.pk) == {}
    assert not Tenant.objects.filter(pk=tenant.pk).exists()
    assert not type(owner).objects.filter(pk=owner.pk).exists()


@pytest.mark.django_db
def test_an_owner_can_cancel_closing_and_nothing_is_deleted(owner_client, tenant, mailoutbox):
    some_history(tenant)
    owner_client.post(reverse("account_close", args=[tenant.slug]), {"confirm_slug": tenant.slug})
    owner_client.post(reverse("account_close_cancel", args=[tenant.slug]))

    assert tenants_delete_due(now=timezone.now() + timedelta(days=30)) == []
    tenant.refresh_from_db()
    assert tenant.delete_after is None and rows_of(tenant.pk)


@pytest.mark.django_db
def test_only_owners_export_or_close_and_closing_needs_the_slug(client, tenant):
    admin = MembershipFactory(tenant=tenant, role="admin").user
    client.force_login(admin)
    assert "Only an owner" in client.get(reverse("account", args=[tenant.slug])).content.decode()
    assert (
        client.post(reverse("account_close", args=[tenant.slug]), {"confirm_slug": tenant.slug}).status_code
        == 403
    )
    assert client.post(reverse("account_export", args=[tenant.slug])).status_code == 403
    owner = MembershipFactory(tenant=tenant, role="owner").user
    client.force_login(owner)
    client.post(reverse("account_close", args=[tenant.slug]), {"confirm_slug": "wrong"})
    tenant.refresh_from_db()
    assert tenant.delete_after is None


@pytest.mark.django_db
def test_tenant_delete_dry_run_counts_per_table_and_changes_nothing(tenant, capsys):
    some_history(tenant)
    other = TenantFactory()
    record(other)

    call_command("tenant_delete", tenant.slug, "--dry-run")
    report = json.loads(capsys.readouterr().out)

    assert report["dry_run"] is True
    assert report["tables"]["customers_syncrecord"] == 1
    assert report["tables"]["customers_stripeevent"] == 1
    assert report["tables"]["customers_customerlink"] == 1
    assert report["tables"]["mappings_syncsettingsdocument"] == 1
    assert rows_of(tenant.pk)

    call_command("tenant_delete", tenant.slug)
    assert rows_of(tenant.pk) == {} and rows_of(other.pk)


@pytest.mark.django_db
def test_the_export_holds_what_the_pages_show(owner_client, tenant):
    some_history(tenant)
    sync_log = owner_client.get(reverse("sync_log", args=[tenant.slug])).content.decode()
    connect_stripe(tenant, "sk_test_secretkey123456", webhook_secret="whsec_x1234567")

    response = owner_client.post(reverse("account_export", args=[tenant.slug]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))

    records = json.loads(archive.read("customers_syncrecord.json"))
    assert len(records) == 1
    for shown in (records[0]["stripe_customer_id"], records[0]["stripe_email"], "1042"):
        assert shown in sync_log
    rows = list(csv.DictReader(io.StringIO(archive.read("customers_syncrecord.csv").decode())))
    assert rows[0]["stripe_email"] == "anna@firma.dk" and rows[0]["message"] == records[0]["message"]
    settings_rows = json.loads(archive.read("mappings_syncsettingsdocument.json"))
    assert settings_rows[0]["document"] == settings_document()
    assert json.loads(archive.read("mappings_settingschange.json"))
    assert json.loads(archive.read("customers_customerlink.json"))[0]["economic_customer_number"] == 1042
    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert b"sk_test_secretkey" not in everything and b"whsec_x" not in everything
