"""Customers by name, linked to where they live: the sync log, the review queue and the dry-run report
show the Stripe customer's name while we hold it, link it into the Stripe Dashboard (test or live,
the account when there is one) and the e-conomic number to the debtor in e-conomic."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.links import economic_customer_url, stripe_customer_url
from customers.models import ImportReportRow, ImportRun, ReviewItem, SyncRecord
from customers.privacy.erasure import customer_erase
from customers.privacy.retention import RemovalReason, sync_records_purge
from customers.services import customer_sync
from tests.factories import StripeConnectionFactory
from tests.fixtures_stripe import first_account


def test_the_dashboard_link_knows_test_mode_live_mode_and_the_account(settings):
    settings.STRIPE_DASHBOARD_URL = "https://dashboard.stripe.com"
    assert (
        stripe_customer_url(customer_id="cus_A1", livemode=False)
        == "https://dashboard.stripe.com/test/customers/cus_A1"
    )
    assert (
        stripe_customer_url(customer_id="cus_A1", livemode=True)
        == "https://dashboard.stripe.com/customers/cus_A1"
    )
    assert (
        stripe_customer_url(customer_id="cus_A1", livemode=True, account_id="acct_9")
        == "https://dashboard.stripe.com/acct_9/customers/cus_A1"
    )
    assert stripe_customer_url(customer_id="cus_a/b", livemode=True).endswith("/customers/cus_a%2Fb")
    settings.ECONOMIC_WEB_URL = "https://secure.e-conomic.com"
    assert economic_customer_url(number=42) == "https://secure.e-conomic.com/sales/customers/42"


@pytest.mark.django_db
def test_the_sync_log_shows_names_and_links_by_the_tenants_mode(owner_client, tenant, settings):
    settings.STRIPE_DASHBOARD_URL = "https://dashboard.stripe.com"
    StripeConnectionFactory(tenant=tenant, livemode=True)
    SyncRecord.objects.for_tenant(tenant).create(
        stripe_customer_id="cus_N1", stripe_name="Nordlys Design ApS", action="created",
        economic_customer_number=12, message="Created e-conomic customer 12.",
    )  # fmt: skip
    html = owner_client.get(reverse("sync_log", args=[tenant.slug])).content.decode()
    assert "Nordlys Design ApS" in html
    assert 'href="https://dashboard.stripe.com/customers/cus_N1"' in html  # live mode: no /test/
    assert f'href="{settings.ECONOMIC_WEB_URL}/sales/customers/12"' in html
    found = owner_client.get(reverse("sync_log", args=[tenant.slug]), {"q": "nordlys"})
    assert [r.stripe_customer_id for r in found.context["page"]] == ["cus_N1"]  # found by name


@pytest.mark.django_db(transaction=True)
def test_a_sync_keeps_the_name_and_the_review_queue_and_report_show_it(merchant, owner_client):
    tenant = merchant.tenant  # the tenant owner_client is an owner of
    for number, name in ((301, "Havblik A/S"), (302, "Havblik Byg A/S")):
        merchant.economic.add_customer(number=number, name=name, email="faktura@havblik.dk")
    customer = merchant.stripe.create_customer(email="faktura@havblik.dk", name="Havblik")
    record = customer_sync(tenant=tenant, stripe_customer_id=customer["id"])
    assert record.action == "needs_review" and record.stripe_name == "Havblik"
    queue = owner_client.get(reverse("review", args=[tenant.slug])).content.decode()
    assert "Havblik" in queue and "/sandbox/economic/web/sales/customers/301" in queue
    item = ReviewItem.objects.for_tenant(tenant).get()
    detail = owner_client.get(reverse("review_detail", args=[tenant.slug, item.pk])).content.decode()
    assert "Which e-conomic customer is Havblik?" in detail

    run = ImportRun.objects.for_tenant(tenant).create(
        stripe_account=first_account(tenant), dry_run=True, status=ImportRun.Status.FINISHED
    )
    ImportReportRow.objects.for_tenant(tenant).create(
        run=run, stripe_customer_id=customer["id"], name="Havblik", action="needs_review"
    )
    report = owner_client.get(reverse("import_report", args=[tenant.slug, run.pk])).content.decode()
    assert f"/sandbox/stripe/dashboard/test/customers/{customer['id']}" in report


@pytest.mark.django_db
def test_the_name_goes_with_the_e_mail_when_personal_data_is_removed(tenant):
    records = SyncRecord.objects.for_tenant(tenant)
    erased = records.create(
        stripe_customer_id="cus_E",
        stripe_name="Erased ApS",
        stripe_email="e@x.dk",
        action="created",
        message="x",
    )
    old = records.create(
        stripe_customer_id="cus_O",
        stripe_name="Old ApS",
        stripe_email="o@x.dk",
        action="created",
        message="x",
    )
    records.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=500))

    customer_erase(tenant=tenant, stripe_customer_id="cus_E", reason=RemovalReason.REQUESTED)
    sync_records_purge(now=timezone.now())

    for record in (erased, old):
        record.refresh_from_db()
        assert (record.stripe_name, record.stripe_email) == ("", "")
