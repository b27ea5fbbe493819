"""Erasure: no copy of a customer's personal data left anywhere we store, the e-conomic customer kept."""

import pytest
from django.urls import reverse

from customers.models import CustomerLink, StripeEvent, SyncRecord
from customers.services import event_process, event_store
from tests.factories import MembershipFactory
from tests.fixtures_stripe import first_account

from .helpers import record, tables_containing
from .test_retention import stripe_event

EMAIL = "erase.me@firma.dk"
NAME = "Erase Me ApS"


def test_a_customer_deleted_in_stripe_leaves_no_copy_of_its_email_in_any_table(merchant):
    customer = merchant.stripe.create_customer(
        email=EMAIL, name=NAME, phone="+45 11 22 33 44", address={"line1": "Slettevej 9", "country": "DK"}
    )
    created, _ = event_store(
        tenant=merchant.tenant,
        stripe_account=first_account(merchant.tenant),
        event=merchant.stripe.events("customer.created")[-1],
    )
    first = event_process(event_id=created.pk, token=created.leased_by)  # as its message would
    assert first.stripe_email == EMAIL and first.payload["email"] == EMAIL  # the copies exist
    number = first.economic_customer_number
    assert tables_containing(EMAIL)

    merchant.stripe.delete_customer(customer["id"])
    deleted, _ = event_store(
        tenant=merchant.tenant,
        stripe_account=first_account(merchant.tenant),
        event=merchant.stripe.events("customer.deleted")[-1],
    )
    last = event_process(event_id=deleted.pk, token=deleted.leased_by)

    assert tables_containing(EMAIL) == {}
    assert tables_containing(NAME) == {}
    assert tables_containing("Slettevej") == {}
    # The merchant's bookkeeping record in e-conomic is left alone, and the log says so.
    assert merchant.economic.customer(number)["email"] == EMAIL
    assert f"e-conomic customer {number} is your bookkeeping record and is left as it is" in last.message
    assert last.personal_data_removed_reason == "stripe_deleted"
    # Ids, numbers and outcomes stay: exactly-once still knows this customer.
    assert CustomerLink.objects.for_tenant(merchant.tenant).get().economic_customer_number == number
    assert [e.status for e in StripeEvent.objects.for_tenant(merchant.tenant).order_by("pk")] == [
        "processed",
        "processed",
    ]
    assert all(e.payload == {} for e in StripeEvent.objects.for_tenant(merchant.tenant))
    assert first.__class__.objects.for_tenant(merchant.tenant).get(pk=first.pk).action == "created"


@pytest.mark.django_db
def test_a_merchant_erases_a_customer_from_its_sync_log_entry(owner_client, tenant):
    event_store(tenant=tenant, stripe_account=first_account(tenant), event=stripe_event("evt_1", email=EMAIL))
    entry = record(tenant, stripe_email=EMAIL, message=f"Found by email “{EMAIL}”.", payload={"email": EMAIL})
    record(tenant, stripe_customer_id="cus_other", stripe_email="keep@firma.dk")
    CustomerLink.objects.for_tenant(tenant).create(
        stripe_account=first_account(tenant), stripe_customer_id="cus_A", economic_customer_number=1042
    )
    url = reverse("customer_erase", args=[tenant.slug, entry.pk])

    page = owner_client.get(reverse("sync_log", args=[tenant.slug])).content.decode()
    assert "e-conomic customer 1042 is your" in page and f'action="{url}"' in page
    response = owner_client.post(url)

    assert response.status_code == 302
    assert tables_containing(EMAIL) == {}
    assert tables_containing("keep@firma.dk")  # another customer's data is not touched
    note = SyncRecord.objects.for_tenant(tenant).filter(stripe_customer_id="cus_A").first()
    assert "erasure requested" in note.message and "e-conomic customer" in note.message
    log = owner_client.get(reverse("sync_log", args=[tenant.slug])).content.decode()
    assert "Personal data erased on request" in log


@pytest.mark.django_db
def test_viewers_cannot_erase(client, tenant):
    entry = record(tenant)
    client.force_login(MembershipFactory(tenant=tenant, role="viewer").user)
    url = reverse("customer_erase", args=[tenant.slug, entry.pk])
    assert client.post(url).status_code == 403
    entry.refresh_from_db()
    assert entry.stripe_email == "anna@firma.dk"
