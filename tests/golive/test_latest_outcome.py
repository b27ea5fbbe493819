"""A failure a later sync settled is history: the dashboard counts and lists customers whose latest
sync failed (the 24-hour tiles are activity, labelled so), and the sync log marks a superseded
failure and offers no Retry for it."""

import pytest
from django.urls import reverse

from customers.models import SyncRecord
from customers.selectors import failing_customers

pytestmark = pytest.mark.django_db


def _record(tenant, customer, action="failed", message="x", **fields):
    return SyncRecord.objects.for_tenant(tenant).create(
        stripe_customer_id=customer, action=action, message=message, **fields
    )


def test_a_customer_counts_as_failing_only_while_its_latest_sync_failed(tenant):
    _record(tenant, "cus_fixed", message="no e-mail")
    _record(tenant, "cus_fixed", action="created", message="Created e-conomic customer 7.")
    _record(tenant, "cus_twice", message="first")
    still = _record(tenant, "cus_twice", message="second")
    _record(tenant, "cus_ok", action="matched")
    _record(tenant, "cus_dry", action="created", dry_run=True)  # a dry run never settles anything

    assert [r.pk for r in failing_customers(tenant=tenant)] == [still.pk]


def test_the_dashboard_lists_what_fails_now_and_labels_the_tiles_as_activity(owner_client, tenant):
    _record(tenant, "cus_fixed", stripe_name="Rettet ApS", message="Stripe customer has no email.")
    _record(tenant, "cus_fixed", action="created", message="Created e-conomic customer 7.")
    _record(tenant, "cus_broken", stripe_name="Fejler ApS", message="Customer number 5 is already used.")

    response = owner_client.get(reverse("dashboard", args=[tenant.slug]))
    html = response.content.decode()
    sync_panel = next(p for p in response.context["panels"] if p["template"] == "customers/panels/sync.html")
    assert sync_panel["failing"] == 1
    assert [r.stripe_customer_id for r in sync_panel["failures"]] == ["cus_broken"]
    assert "Fejler ApS" in html and "Rettet ApS" not in html
    assert 'data-testid="failing-count">1<' in html
    assert "Activity in the last 24 hours" in html and "Failed attempts" in html


def test_a_superseded_failure_in_the_log_says_so_and_has_no_retry(owner_client, tenant):
    _record(tenant, "cus_fixed", message="no e-mail")
    _record(tenant, "cus_fixed", action="created", message="Created e-conomic customer 7.")
    _record(tenant, "cus_again", message="first try")
    _record(tenant, "cus_again", message="second try")

    response = owner_client.get(reverse("sync_log", args=[tenant.slug]))
    rows = {(r.stripe_customer_id, r.message): r.later_action for r in response.context["page"]}
    assert rows[("cus_fixed", "no e-mail")] == "created"
    assert rows[("cus_again", "first try")] == "failed"
    assert rows[("cus_again", "second try")] is None
    html = response.content.decode()
    assert html.count("Resolved by a later sync") == 1
    assert html.count("Failed again later: see the newer entry") == 1
    assert html.count(">Retry</button>") == 1  # only the latest failure of cus_again


def test_the_detail_page_of_a_superseded_failure_offers_no_retry(owner_client, tenant):
    old = _record(tenant, "cus_fixed", message="no e-mail")
    new = _record(tenant, "cus_fixed", action="created", message="Created e-conomic customer 7.")
    old_page = owner_client.get(reverse("sync_record", args=[tenant.slug, old.pk])).content.decode()
    assert "Resolved by a later sync" in old_page and ">Retry</button>" not in old_page
    latest = _record(tenant, "cus_fixed", message="e-conomic refused the update.")
    latest_page = owner_client.get(reverse("sync_record", args=[tenant.slug, latest.pk])).content.decode()
    assert ">Retry</button>" in latest_page
    assert owner_client.get(reverse("sync_record", args=[tenant.slug, new.pk])).status_code == 200
