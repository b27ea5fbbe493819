"""The alert e-mail: to owners and admins, listing new failures and review items with links, at
most one an hour per tenant, and not at all when the tenant turned alerts off."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from customers.models import AlertDigest, ReviewItem, SyncRecord
from operations.services.alerts import alert_send, alerts_send_due
from tests.factories import MembershipFactory
from tests.fixtures_stripe import first_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(tenant):
    return {role: MembershipFactory(tenant=tenant, role=role).user for role in ("owner", "admin", "viewer")}


def _failure(tenant, customer="cus_F1", message="e-conomic refused the customer: name is required."):
    return SyncRecord.objects.for_tenant(tenant).create(
        stripe_customer_id=customer, stripe_email="f@firma.dk", action="failed", message=message
    )


def _review(tenant, customer="cus_R1"):
    return ReviewItem.objects.for_tenant(tenant).create(
        stripe_account=first_account(tenant),
        stripe_customer_id=customer,
        candidates=[11, 12],
        reason="e-conomic customers 11, 12 share it",
    )


def test_the_email_lists_new_failures_and_review_items_with_links_to_owners_and_admins(
    tenant, team, settings
):
    settings.SITE_URL = "https://sync.example.com"
    record, item = _failure(tenant), _review(tenant)

    digest = alert_send(tenant_id=tenant.pk)

    (message,) = mail.outbox
    assert sorted(message.to) == sorted([team["owner"].email, team["admin"].email])
    assert message.subject == f"{tenant.name}: 1 failed sync and 1 customer to review"
    body = message.body
    assert "cus_F1 (f@firma.dk): e-conomic refused the customer: name is required." in body
    assert f"https://sync.example.com{reverse('sync_record', args=[tenant.slug, record.pk])}" in body
    assert "cus_R1: candidates 11, 12" in body
    assert f"https://sync.example.com{reverse('review_detail', args=[tenant.slug, item.pk])}" in body
    assert f"https://sync.example.com{reverse('members', args=[tenant.slug])}" in body
    assert (digest.failures, digest.reviews) == (1, 1)


def test_at_most_one_email_an_hour_and_only_what_is_new(tenant, team):
    _failure(tenant)
    start = timezone.now()
    alert_send(tenant_id=tenant.pk, now=start)
    _failure(tenant, customer="cus_F2")

    assert alert_send(tenant_id=tenant.pk, now=start + timedelta(minutes=59)) is None
    assert len(mail.outbox) == 1

    later = start + timedelta(minutes=61)
    SyncRecord.objects.for_tenant(tenant).filter(stripe_customer_id="cus_F2").update(
        created=start + timedelta(minutes=30)
    )
    assert alert_send(tenant_id=tenant.pk, now=later) is not None
    assert len(mail.outbox) == 2
    assert "cus_F2" in mail.outbox[1].body and "cus_F1" not in mail.outbox[1].body


def test_nothing_new_sends_nothing(tenant, team):
    assert alert_send(tenant_id=tenant.pk) is None
    SyncRecord.objects.for_tenant(tenant).create(stripe_customer_id="cus_ok", action="created", message="ok")
    assert alerts_send_due() == 0 and mail.outbox == []


def test_alerts_turned_off_send_nothing(owner_client, tenant, team):
    _failure(tenant)
    response = owner_client.post(reverse("alerts_setting", args=[tenant.slug]), {})
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert tenant.alerts_enabled is False
    assert alerts_send_due() == 0 and mail.outbox == []
    assert not AlertDigest.objects.for_tenant(tenant).exists()


def test_a_viewer_cannot_turn_alerts_off(viewer_client, tenant):
    assert viewer_client.post(reverse("alerts_setting", args=[tenant.slug]), {}).status_code == 403
    tenant.refresh_from_db()
    assert tenant.alerts_enabled is True


def test_the_beat_schedule_runs_the_alert_task(settings):
    from syncapp.celery import app

    assert settings.CELERY_BEAT_SCHEDULE["send-alerts"]["task"] == "customers.send_alerts"
    assert "customers.send_alerts" in app.tasks
