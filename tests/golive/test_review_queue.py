"""The review queue: several e-conomic candidates wait for the merchant, who links one, creates a
new customer or skips; each choice is recorded (who, when) and explained by a SyncRecord."""

import pytest
from django.urls import reverse

from customers.models import CustomerLink, ReviewItem, SyncRecord
from customers.services import customer_sync
from sandbox.economic_api.models import Customer as EconomicCustomer
from syncapp.connections.clients import stripe_client_for
from tests.factories import MembershipFactory
from tests.fixtures_merchant import configure
from tests.fixtures_stripe import first_account

Action = SyncRecord.Action


@pytest.fixture
def twins(merchant):
    """A Stripe customer whose e-mail two e-conomic customers share."""
    merchant.economic.add_customer(number=11, name="Twin A/S", email="twin@firma.dk", city="Aarhus C")
    merchant.economic.add_customer(number=12, name="Twin ApS", email="TWIN@firma.dk", city="Odense C")
    return merchant.stripe.create_customer(email="twin@firma.dk", name="Twin")


def _item(merchant, customer) -> ReviewItem:
    return ReviewItem.objects.for_tenant(merchant.tenant).get(stripe_customer_id=customer["id"])


def _owner_client(client, merchant):
    owner = MembershipFactory(tenant=merchant.tenant, role="owner").user
    client.force_login(owner)
    return client, owner


def test_several_candidates_wait_for_review_by_default(merchant, twins):
    record = customer_sync(tenant=merchant.tenant, stripe_customer_id=twins["id"])

    assert record.action == Action.NEEDS_REVIEW
    assert "11, 12" in record.message and "review queue" in record.message
    item = _item(merchant, twins)
    assert item.candidates == [11, 12] and item.is_open and item.stripe_email == "twin@firma.dk"
    assert not CustomerLink.objects.for_tenant(merchant.tenant).exists()


def test_a_second_sync_keeps_one_open_item(merchant, twins):
    customer_sync(tenant=merchant.tenant, stripe_customer_id=twins["id"])
    customer_sync(tenant=merchant.tenant, stripe_customer_id=twins["id"])
    assert ReviewItem.objects.for_tenant(merchant.tenant).count() == 1


def test_a_dry_run_opens_no_item(merchant, twins):
    record = customer_sync(tenant=merchant.tenant, stripe_customer_id=twins["id"], dry_run=True)
    assert record.action == Action.NEEDS_REVIEW and "would wait" in record.message
    assert not ReviewItem.objects.for_tenant(merchant.tenant).exists()


def test_setting_fail_keeps_the_plain_failure(merchant, twins):
    configure(merchant.tenant, matching={"on_ambiguous": "fail"})
    record = customer_sync(tenant=merchant.tenant, stripe_customer_id=twins["id"])
    assert record.action == Action.FAILED and record.message.startswith("Ambiguous match:")
    assert not ReviewItem.objects.for_tenant(merchant.tenant).exists()


def test_the_page_shows_the_stripe_customer_beside_each_candidate(client, merchant, twins):
    customer_sync(tenant=merchant.tenant, stripe_customer_id=twins["id"])
    client, _ = _owner_client(client, merchant)
    page = client.get(reverse("review_detail", args=[merchant.tenant.slug, _item(merchant, twins).pk]))
    html = page.content.decode()
    assert page.status_code == 200
    for text in ("twin@firma.dk", "Twin A/S", "Twin ApS", "Aarhus C", "Odense C", "Link to 11", "Link to 12"):
        assert text in html


def test_linking_a_candidate_records_who_chose_and_completes_the_sync(client, merchant, twins):
    customer_sync(tenant=merchant.tenant, stripe_customer_id=twins["id"])
    item = _item(merchant, twins)
    client, owner = _owner_client(client, merchant)

    response = client.post(
        reverse("review_detail", args=[merchant.tenant.slug, item.pk]), {"choice": "linked", "number": "12"}
    )

    assert response.status_code == 302
    link = CustomerLink.objects.for_tenant(merchant.tenant).get(stripe_customer_id=twins["id"])
    assert link.economic_customer_number == 12 and not link.created_by_us
    item.refresh_from_db()
    assert (item.resolution, item.resolved_number, item.resolved_by) == ("linked", 12, owner.email)
    assert item.resolved_at is not None
    assert item.record.action == Action.MATCHED and owner.email in item.record.message
    # The number is written back to Stripe, as after any link.
    stripe_now = stripe_client_for(first_account(merchant.tenant)).retrieve_customer(twins["id"])
    assert stripe_now["metadata"]["economic_customer_number"] == "12"


def test_a_number_that_is_not_a_candidate_is_refused(client, merchant, twins):
    customer_sync(tenant=merchant.tenant, stripe_customer_id=twins["id"])
    item = _item(merchant, twins)
    client, _ = _owner_client(client, merchant)
    client.post(
        reverse("review_detail", args=[merchant.tenant.slug, item.pk]), {"choice": "linked", "number": "99"}
    )
    item.refresh_from_db()
    assert item.is_open and not CustomerLink.objects.for_tenant(merchant.tenant).exists()


def test_creating_a_new_customer_and_skipping(client, merchant, twins):
    other = merchant.stripe.create_customer(email="twin@firma.dk", name="Twin two")
    for customer in (twins, other):
        customer_sync(tenant=merchant.tenant, stripe_customer_id=customer["id"])
    client, owner = _owner_client(client, merchant)
    url = lambda c: reverse("review_detail", args=[merchant.tenant.slug, _item(merchant, c).pk])  # noqa: E731

    client.post(url(twins), {"choice": "created"})
    client.post(url(other), {"choice": "skipped"})

    created, skipped = _item(merchant, twins), _item(merchant, other)
    assert created.resolution == "created" and created.record.action == Action.CREATED
    assert merchant.economic.customer(created.resolved_number)["name"] == "Twin"
    assert skipped.resolution == "skipped" and skipped.record.action == Action.SKIPPED
    assert skipped.resolved_by == owner.email and owner.email in skipped.record.message


def test_bulk_action_asks_for_confirmation_first(client, merchant, twins):
    other = merchant.stripe.create_customer(email="twin@firma.dk", name="Twin two")
    for customer in (twins, other):
        customer_sync(tenant=merchant.tenant, stripe_customer_id=customer["id"])
    ids = [str(_item(merchant, c).pk) for c in (twins, other)]
    client, _ = _owner_client(client, merchant)
    url = reverse("review_bulk", args=[merchant.tenant.slug])

    confirm = client.post(url, {"items": ids, "choice": "skipped"})
    assert confirm.status_code == 200 and "Skip 2 customers?" in confirm.content.decode()
    assert ReviewItem.objects.for_tenant(merchant.tenant).filter(resolved_at__isnull=True).count() == 2

    done = client.post(url, {"items": ids, "choice": "skipped", "confirmed": "yes"})
    assert done.status_code == 302
    assert not ReviewItem.objects.for_tenant(merchant.tenant).filter(resolved_at__isnull=True).exists()


def test_a_later_sync_that_links_closes_the_item(merchant, twins):
    customer_sync(tenant=merchant.tenant, stripe_customer_id=twins["id"])
    EconomicCustomer.objects.filter(agreement=merchant.economic.agreement, number=12).delete()
    record = customer_sync(tenant=merchant.tenant, stripe_customer_id=twins["id"])
    assert record.action == Action.MATCHED
    item = _item(merchant, twins)
    assert item.resolution == "synced" and item.resolved_number == 11


def test_the_dashboard_counts_items_waiting(client, merchant, twins):
    customer_sync(tenant=merchant.tenant, stripe_customer_id=twins["id"])
    client, _ = _owner_client(client, merchant)
    html = client.get(reverse("dashboard", args=[merchant.tenant.slug])).content.decode()
    assert 'data-testid="review-waiting">1<' in html


def test_a_viewer_sees_the_queue_but_cannot_choose(client, merchant, twins):
    customer_sync(tenant=merchant.tenant, stripe_customer_id=twins["id"])
    item = _item(merchant, twins)
    client.force_login(MembershipFactory(tenant=merchant.tenant, role="viewer").user)
    assert client.get(reverse("review", args=[merchant.tenant.slug])).status_code == 200
    response = client.post(
        reverse("review_detail", args=[merchant.tenant.slug, item.pk]), {"choice": "created"}
    )
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.is_open
