"""Every page a merchant or support reaches renders, with data in every table, on both databases
the product runs on: PostgreSQL (production, `make test`) and SQLite with `make run`'s settings
(no Redis, tasks in-process), where a query only PostgreSQL understands once answered every
merchant with a 500.

The pages come from the URL conf (the tenant routes the security suite walks, every model of the
admin) and the tables from the app registry, so a page or a table added tomorrow is walked the day
it is added. The SQLite run is this module again in a subprocess with `make run`'s environment:
Django reads its database at start-up, so a second database cannot be switched on in-process.
"""

import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone

from customers.models import (
    AlertDigest,
    ConnectionPause,
    EconomicRead,
    ImportReportRow,
    ImportRun,
    Reconciliation,
    RetentionSetting,
    ReviewItem,
    StripeEvent,
    SyncRecord,
)
from customers.services import customer_sync
from sandbox.economic_api.models import Faults
from sandbox.stripe_api import control
from sandbox.stripe_api.models import IdempotentRequest, OAuthCode, SinkRequest
from sandbox.stripe_api.seed import seed_account
from syncapp.connections.stripe_app import stripe_app_store, stripe_install_url
from syncapp.models import (
    Invitation,
    Membership,
    Profile,
    Role,
    StripeConnection,
    ViewAsSession,
    new_webhook_endpoint_id,
)
from tests.conftest import ROOT, admin_login
from tests.factories import MembershipFactory, UserFactory
from tests.fixtures_merchant import configure
from tests.fixtures_stripe import (
    PLATFORM_CLIENT_ID,
    PLATFORM_SECRET_KEY,
    PLATFORM_WEBHOOK_SECRET,
    connect_stripe,
    first_account,
)
from tests.url_walker import fill, tenant_url_templates, url_parameters

ARTIFACTS = ROOT / "test-artifacts"
# Every table of these apps must hold a row while the pages are walked.
PROJECT_APPS = ("syncapp", "mappings", "customers", "sandbox_economic", "sandbox_stripe")


def _fill_every_table(merchant, site_url: str) -> dict:
    """A merchant's first weeks, in every table: syncs of each outcome, a review, a dry run and an
    import, settings history, members, alerts, pauses; the emulators' own records too. Returns the
    ids the tenant routes take."""
    tenant, economic, stripe = merchant.tenant, merchant.economic, merchant.stripe
    configure(tenant, matching={"rules": [{"stripe_field": "email", "economic_field": "email"}]})
    economic.add_customer(number=501, name="Nordlys Design ApS", email="bogholderi@nordlys.dk")
    economic.add_customer(number=502, name="Havblik A/S", email="faktura@havblik.dk")
    economic.add_customer(number=503, name="Havblik Byg A/S", email="faktura@havblik.dk")
    sink = f"{site_url}/sandbox/stripe/_sink/page-walk/"
    stripe.add_webhook_endpoint(sink)
    customers = [
        stripe.create_customer(email="bogholderi@nordlys.dk", name="Nordlys Design ApS"),
        stripe.create_customer(email="ordre@solsort.dk", name="Solsort Tryk ApS", address={"country": "DK"}),
        stripe.create_customer(email="faktura@havblik.dk", name="Havblik"),
        stripe.create_customer(name="Uden E-mail ApS"),
    ]
    control.customer_update(stripe.api_key, customers[1]["id"], idempotency_key="walk-1", phone="+4512345678")
    stripe.add_fault("rate_limit", count=1, path="/v1/never-called")
    economic.set_faults(latency=0)
    stripe.wait_for_deliveries()
    records = [customer_sync(tenant=tenant, stripe_customer_id=c["id"]) for c in customers]
    assert [r.action for r in records] == ["matched", "created", "needs_review", "failed"]
    # A second Stripe account: the account filters and per-account defaults are on the pages.
    se_shop = connect_stripe(tenant, seed_account(), name="SE shop")
    # A third, connected through our Stripe App; and a "Connect with Stripe" in flight.
    app = control.platform_setup(
        client_id=PLATFORM_CLIENT_ID,
        secret_key=PLATFORM_SECRET_KEY,
        webhook_url=f"{site_url}/webhooks/stripe/connect/",
        webhook_secret=PLATFORM_WEBHOOK_SECRET,
        redirect_uri=f"{site_url}/connections/stripe/callback/",
    )
    app_account = control.account_for_key(seed_account())
    grant = control.app_install(app, app_account)
    OAuthCode.objects.create(app=app, account=app_account, code="ac_walk", expires=0, used=True)
    stripe_app_store(
        account=StripeConnection(tenant=tenant, name="NO shop"),
        answer={
            "stripe_user_id": app_account.stripe_id,
            "livemode": False,
            "access_token": grant.access_token,
            "refresh_token": grant.refresh_token,
        },
    )
    configure(tenant, accounts={"SE shop": {"defaults": {"currency": "SEK"}}})

    now = timezone.now()
    event = StripeEvent.objects.for_tenant(tenant).create(
        stripe_account=first_account(tenant),
        stripe_event_id="evt_walk",
        type="customer.updated",
        stripe_created=now,
        stripe_customer_id=customers[1]["id"],
        stripe_email="ordre@solsort.dk",
        payload={"data": {"object": customers[1]}},
        status=StripeEvent.Status.PROCESSED,
        processed_at=now,
    )
    SyncRecord.objects.for_tenant(tenant).filter(pk=records[1].pk).update(event=event)
    dry_run = ImportRun.objects.for_tenant(tenant).create(
        stripe_account=first_account(tenant),
        started_by="owner@example.com",
        dry_run=True,
        status=ImportRun.Status.FINISHED,
        customers_seen=4,
        counts={"would_match": 1, "would_create": 1, "needs_review": 1, "would_fail": 1},
        economic_duplicates=[{"field": "email", "customer_numbers": [502, 503]}],
        finished=now,
    )
    ImportReportRow.objects.for_tenant(tenant).create(
        run=dry_run,
        stripe_customer_id=customers[1]["id"],
        email="ordre@solsort.dk",
        name="Solsort Tryk ApS",
        action=ImportReportRow.Action.WOULD_CREATE,
        message="Would create.",
    )
    ImportRun.objects.for_tenant(tenant).create(
        stripe_account=first_account(tenant),
        started_by="owner@example.com",
        status=ImportRun.Status.RUNNING,
        customers_seen=2,
        counts={"created": 1},
    )
    RetentionSetting.objects.for_tenant(tenant).create(sync_record_months=6)
    AlertDigest.objects.for_tenant(tenant).create(
        sent_at=now, up_to=now, failures=1, recipients=["x@example.com"]
    )
    ConnectionPause.objects.for_tenant(tenant).create(
        service="economic",
        reason=ConnectionPause.Reason.THROTTLED,
        until=now + timedelta(minutes=1),
        message="e-conomic asked us to slow down.",
        paused_at=now,
    )
    Reconciliation.objects.for_tenant(tenant).create(
        stripe_account=first_account(tenant), ran_at=now, healed=1, healed_total=1
    )
    EconomicRead.objects.for_tenant(tenant).create(
        cursor="2026-12-04T12:00:00Z", seen_at_cursor=[1], ran_at=now, changed_total=1
    )
    SyncRecord.objects.for_tenant(tenant).create(
        stripe_account=first_account(tenant),
        stripe_customer_id="cus_from_economic",
        action=SyncRecord.Action.UPDATED_IN_STRIPE,
        direction=SyncRecord.Direction.TO_STRIPE,
        economic_customer_number=1,
        message="Updated in Stripe from e-conomic customer 1: address.",
        facts=[{"code": "updated_in_stripe", "values": {"number": 1, "fields": ["address"]}}],
    )
    owner = MembershipFactory(tenant=tenant, role=Role.OWNER).user
    # A viewer who reads Danish (docs/i18n.md); the owner, who walks the pages, reads English.
    Profile.objects.create(user=MembershipFactory(tenant=tenant, role=Role.VIEWER).user, language="da")
    stripe_install_url(tenant=tenant, user=owner, session_key="walk-session")
    invitation = Invitation.objects.for_tenant(tenant).create(
        email="revisor@example.com",
        role=Role.VIEWER,
        token_hash=new_webhook_endpoint_id(),
        expires=now + timedelta(days=7),
        invited_by=owner,
    )
    staff = UserFactory(is_staff=True, is_superuser=True)
    ViewAsSession.objects.create(staff=staff, staff_email=staff.email, tenant=tenant, ended=now)
    assert SinkRequest.objects.filter(name="page-walk").exists()  # the sink got the deliveries
    _check_every_table_has_rows()
    return {
        "owner": owner,
        "staff": staff,
        "ids": {
            "record_id": records[3].pk,
            "item_id": ReviewItem.objects.for_tenant(tenant).get().pk,
            "member_id": Membership.objects.for_tenant(tenant).exclude(user=owner).first().pk,
            "invitation_id": invitation.pk,
            "event_id": event.pk,
            "run_id": dry_run.pk,
            "customer_id": customers[1]["id"],
            "account_id": se_shop.pk,
        },
    }


def _check_every_table_has_rows() -> None:
    empty = [
        f"{model._meta.app_label}.{model.__name__}"
        for label in PROJECT_APPS
        for model in apps.get_app_config(label).get_models()
        if not model._base_manager.exists()
    ]
    assert empty == [], f"tables without a row: add them to the walk's data ({empty})"
    assert IdempotentRequest.objects.exists() and Faults.objects.exists()


def _get(client: Client, url: str, problems: list[str], statuses: dict[str, int]) -> None:
    try:
        response = client.get(url)
    except Exception as exc:  # the test client re-raises what the view raised: a 500 for a person
        problems.append(f"GET {url} raised {type(exc).__name__}: {exc}")
        return
    statuses[url] = response.status_code
    if response.status_code >= 500:
        problems.append(f"GET {url} answered {response.status_code}")


def _merchant_pages(slug: str, ids: dict) -> list[str]:
    pages = [
        fill(route, slug, **{name: ids[name] for _, name in url_parameters(route) if name in ids})
        for route in tenant_url_templates()
    ]
    pages += [
        f"/t/{slug}/sync/?q=Solsort&action=failed",
        f"/t/{slug}/import/{ids['run_id']}/?action=would_create",
    ]
    return pages


def _admin_pages(objects: dict) -> list[str]:
    """Every page of every model admin (lists, add, an object's change, history and delete pages,
    and the admin's own views), from the admin's URL conf."""
    pages = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        first = model._base_manager.order_by("pk").first()
        pages.append(reverse("admin:app_list", args=[model._meta.app_label]))
        for pattern in model_admin.get_urls():
            if not isinstance(pattern, URLPattern) or not pattern.name:
                continue
            # Every parameter of a model admin's page is the object's id (`<path:object_id>`, `<id>`).
            parameters = re.findall(r"<(?:\w+:)?(\w+)>", str(pattern.pattern))
            if parameters and first is None:
                continue
            pages.append(reverse(f"admin:{pattern.name}", kwargs={name: first.pk for name in parameters}))
    return sorted(set(pages))


def _public_pages() -> list[str]:
    return [reverse("login"), reverse("signup"), "/invite/no-such-token/", "/healthz", "/readyz"]


def test_every_merchant_and_support_page_renders_with_data_in_every_table(merchant, sandbox_urls, settings):
    settings.AXES_ENABLED = False
    data = _fill_every_table(merchant, sandbox_urls["SITE_URL"])
    problems: list[str] = []
    statuses: dict[str, int] = {}
    for url in _public_pages():
        _get(Client(), url, problems, statuses)
    owner = Client()
    owner.force_login(data["owner"])
    for url in _merchant_pages(merchant.tenant.slug, data["ids"]):
        _get(owner, url, problems, statuses)
    support = admin_login(Client(), data["staff"])
    for url in _admin_pages(data):
        _get(support, url, problems, statuses)

    ARTIFACTS.mkdir(exist_ok=True)
    summary = "\n".join(f"{status} {url}" for url, status in sorted(statuses.items()))
    (ARTIFACTS / f"page-walk-{connection.vendor}.txt").write_text(summary + "\n")
    assert problems == [], "\n".join(problems)
    rendered = [url for url, status in statuses.items() if status == 200]
    # A guard on the walk itself: the data must take it into the pages, not past them to 404s.
    assert len(rendered) >= 80, f"only {len(rendered)} pages rendered:\n{summary}"


# `make run`'s environment (Makefile RUN_ENV): SQLite, no Redis, no broker (tasks in-process).
MAKE_RUN_ENV = {"DEBUG": "true", "SANDBOX_ENABLED": "true", "REDIS_URL": "", "CELERY_BROKER_URL": ""}


@pytest.mark.skipif(os.environ.get("PAGE_WALK_INNER") == "1", reason="the SQLite run itself")
def test_every_page_renders_on_sqlite_with_make_runs_settings(tmp_path):
    marker = ARTIFACTS / "page-walk-sqlite.txt"
    marker.unlink(missing_ok=True)
    env = {
        **os.environ,
        **MAKE_RUN_ENV,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PAGE_WALK_INNER": "1",
    }
    test_id = f"{__file__}::test_every_merchant_and_support_page_renders_with_data_in_every_table"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test_id],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert marker.exists(), "the SQLite run did not walk the pages"
