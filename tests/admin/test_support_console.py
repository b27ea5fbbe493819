"""The support console: read-only records, search by e-mail, view-as audit, second factor, secrets."""

import pytest
from django.contrib.auth.models import Permission
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from customers.models import ImportRun, StripeEvent, SyncRecord
from customers.services import event_store
from syncapp.models import ViewAsSession
from tests.conftest import admin_login
from tests.factories import PASSWORD, StripeConnectionFactory, TenantFactory, UserFactory
from tests.fixtures_stripe import first_account

pytestmark = pytest.mark.django_db


def _staff(superuser=False):
    user = UserFactory(is_staff=True, is_superuser=superuser)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["customers", "syncapp", "mappings"])
    )
    return user


@pytest.fixture
def staff_client(client):
    """A staff member past the second factor, with every model permission but not a superuser."""
    client.user = _staff()
    return admin_login(client, client.user)


def _event(tenant, email="anna@firma.dk", customer="cus_anna"):
    payload = {
        "id": f"evt_{customer}",
        "type": "customer.created",
        "created": 1700000000,
        "data": {"object": {"id": customer, "email": email}},
    }
    return event_store(tenant=tenant, stripe_account=first_account(tenant), event=payload)[0]


def test_event_keeps_the_customer_email_it_carried():
    event = _event(TenantFactory())
    assert StripeEvent.all_tenants.get(pk=event.pk).stripe_email == "anna@firma.dk"


def test_staff_cannot_add_edit_or_delete_records(staff_client):
    tenant = TenantFactory()
    event = _event(tenant)
    record = SyncRecord.all_tenants.create(
        tenant=tenant, stripe_customer_id="cus_anna", action="failed", message="x"
    )
    assert staff_client.get("/admin/customers/syncrecord/add/").status_code == 403
    assert staff_client.get("/admin/customers/stripeevent/add/").status_code == 403
    page = staff_client.get(f"/admin/customers/syncrecord/{record.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert (
        staff_client.post(f"/admin/customers/stripeevent/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert StripeEvent.all_tenants.filter(pk=event.pk).exists()


def test_search_by_email_finds_events_and_records(staff_client):
    tenant = TenantFactory()
    _event(tenant)
    SyncRecord.all_tenants.create(
        tenant=tenant,
        stripe_customer_id="cus_anna",
        stripe_email="anna@firma.dk",
        action="failed",
        message="x",
    )
    events = staff_client.get("/admin/customers/stripeevent/", {"q": "anna@firma.dk"})
    records = staff_client.get("/admin/customers/syncrecord/", {"q": "anna@firma.dk"})
    tenants = staff_client.get("/admin/syncapp/tenant/", {"q": "anna@firma.dk"})
    assert b"evt_cus_anna" in events.content
    assert events.context["cl"].result_count == 1 and records.context["cl"].result_count == 1
    assert list(tenants.context["cl"].result_list) == [tenant]


def test_view_as_writes_an_audit_line_and_refuses_writes(staff_client):
    tenant = TenantFactory()
    response = staff_client.post(f"/admin/view-as/{tenant.pk}/")
    assert response.status_code == 302
    line = ViewAsSession.objects.get()
    assert (line.staff, line.tenant, line.ended) == (staff_client.user, tenant, None)
    dashboard = staff_client.get(f"/t/{tenant.slug}/")
    assert dashboard.status_code == 200 and b"view-as-banner" in dashboard.content
    connection = StripeConnectionFactory(tenant=tenant)
    connections = staff_client.get(f"/t/{tenant.slug}/connections/").content.decode()
    assert connection.api_key[-4:] not in connections and "hidden while support views" in connections
    refused = staff_client.post(f"/t/{tenant.slug}/connections/")
    assert refused.status_code == 403 and b"Read-only while viewing" in refused.content
    staff_client.post("/admin/view-as/stop/")
    line.refresh_from_db()
    assert line.ended is not None


def test_staff_login_without_second_factor_is_refused(client, settings):
    settings.DEBUG = False
    user = UserFactory(is_staff=True)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    response = client.post(
        "/admin/login/", {"username": user.username, "password": PASSWORD, "otp_token": ""}
    )
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302
    token = str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)).zfill(
        device.digits
    )
    client.post(
        "/admin/login/",
        {
            "username": user.username,
            "password": PASSWORD,
            "otp_device": device.persistent_id,
            "otp_token": token,
        },
    )
    assert client.get("/admin/").status_code == 200


def test_non_superuser_staff_never_sees_a_secret(staff_client):
    connection = StripeConnectionFactory()
    page = staff_client.get(f"/admin/syncapp/tenant/{connection.tenant.pk}/change/")
    assert page.status_code == 200
    assert b"connections-health" in page.content
    assert connection.api_key[-4:].encode() not in page.content
    assert b"API key" not in page.content


def test_cancelled_import_is_not_run_and_can_be_resumed(staff_client):
    tenant = TenantFactory()
    run = ImportRun.all_tenants.create(
        tenant=tenant, stripe_account=first_account(tenant), started_by="x", status="running"
    )
    staff_client.post(
        "/admin/customers/importrun/",
        {
            "action": "cancel_imports",
            "_selected_action": [run.pk],
            "index": 0,
            "confirm": "yes",
            "reason": "stuck",
        },
    )
    run.refresh_from_db()
    assert run.status == "cancelled"


def test_replay_failed_events_asks_first_with_a_count_then_logs_who_and_why(staff_client):
    from django.contrib.admin.models import LogEntry

    tenant = TenantFactory()
    event = _event(tenant)
    StripeEvent.all_tenants.filter(pk=event.pk).update(status="failed")
    form = {"action": "replay_failed_events", "_selected_action": [tenant.pk], "index": 0}
    page = staff_client.post("/admin/syncapp/tenant/", form)
    assert page.status_code == 200 and page.context["count"] == 1
    assert StripeEvent.all_tenants.get(pk=event.pk).status == "failed"  # nothing done yet
    staff_client.post("/admin/syncapp/tenant/", {**form, "confirm": "yes", "reason": "settings fixed"})
    assert StripeEvent.all_tenants.get(pk=event.pk).status == "pending"
    entry = LogEntry.objects.get(object_id=str(tenant.pk))
    assert entry.user == staff_client.user and "settings fixed" in entry.change_message


def test_unlink_asks_for_a_reason_and_logs_it(staff_client):
    from django.contrib.admin.models import DELETION, LogEntry

    from customers.models import CustomerLink

    tenant = TenantFactory()
    link = CustomerLink.all_tenants.create(
        tenant=tenant,
        stripe_account=first_account(tenant),
        stripe_customer_id="cus_x",
        economic_customer_number=7,
    )
    form = {"action": "unlink", "_selected_action": [link.pk], "index": 0, "confirm": "yes", "reason": ""}
    staff_client.post("/admin/customers/customerlink/", form)
    assert CustomerLink.all_tenants.filter(pk=link.pk).exists()  # no reason, no unlink
    staff_client.post("/admin/customers/customerlink/", {**form, "reason": "linked to the wrong customer"})
    assert not CustomerLink.all_tenants.filter(pk=link.pk).exists()
    entry = LogEntry.objects.get(object_id=str(link.pk))
    assert entry.action_flag == DELETION and "wrong customer" in entry.change_message


def test_the_tenant_list_costs_the_same_queries_for_many_tenants(staff_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get("/admin/syncapp/tenant/").status_code == 200
        return len(captured)

    TenantFactory()
    one = queries()
    for _ in range(5):
        tenant = TenantFactory()
        StripeConnectionFactory(tenant=tenant)
        _event(tenant, customer=f"cus_{tenant.pk}")
    assert queries() == one


def test_support_cancels_an_import_with_a_reason_and_resumes_it_from_its_cursor(monkeypatch):
    from customers.services import imports

    sent = []
    monkeypatch.setattr(imports, "enqueue_import", lambda run_id, token: sent.append(run_id))
    tenant = TenantFactory()
    run = ImportRun.all_tenants.create(
        tenant=tenant,
        stripe_account=first_account(tenant),
        started_by="x",
        customers_seen=300,
        cursor="cus_300",
    )
    cancelled = imports.import_cancel(tenant=run.tenant, run_id=run.pk, reason="stuck for an hour")
    # Nobody held it: cancelled at once, before any worker called anyone.
    assert cancelled.status == "cancelled"
    assert "by support: stuck for an hour" in cancelled.message
    resumed = imports.import_resume(tenant=run.tenant, run_id=run.pk)
    assert resumed.status == "queued" and sent == [run.pk]
    resumed.refresh_from_db()
    assert (resumed.cursor, resumed.customers_seen) == ("cus_300", 300)
    finished = ImportRun.all_tenants.create(
        tenant=tenant, stripe_account=first_account(tenant), status="finished"
    )
    assert imports.import_cancel(tenant=run.tenant, run_id=finished.pk, reason="x").status == "finished"


def test_test_connections_checks_both_and_logs_the_outcome(staff_client, monkeypatch):
    from django.contrib.admin.models import LogEntry

    from operations import admin_tenants

    tenant = TenantFactory()
    checked = []
    monkeypatch.setattr(admin_tenants, "stripe_check", lambda *, connection: checked.append("stripe"))
    monkeypatch.setattr(admin_tenants, "economic_check", lambda *, tenant: checked.append("economic"))
    form = {"action": "test_connections", "_selected_action": [tenant.pk], "index": 0}
    staff_client.post("/admin/syncapp/tenant/", form)
    assert checked == ["stripe", "economic"]
    assert "Connections tested by support" in LogEntry.objects.get(object_id=str(tenant.pk)).change_message


def test_the_migration_fills_the_email_of_events_stored_before_it():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("customers.migrations.0005_event_email")
    event = _event(TenantFactory())
    StripeEvent.all_tenants.filter(pk=event.pk).update(stripe_email="")
    migration.fill_stripe_email(apps, None)
    assert StripeEvent.all_tenants.get(pk=event.pk).stripe_email == "anna@firma.dk"
