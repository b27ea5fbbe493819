"""Issue 20, items 1 and 3: support staff hold only what they were given. Every admin page walked
as a view-only staff member shows no secret; each support action, view-as included, takes its own
permission; nobody makes themselves an owner, a superuser or a holder of more permissions."""

import re
from base64 import b32encode
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import URLPattern, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from customers.models import CustomerLink, ImportRun, StripeEvent, SyncRecord
from customers.services import event_store
from syncapp.models import Invitation, Membership, Role, Tenant, ViewAsSession
from syncapp.staff import MAKE_OWNER, SUPPORT_GROUP, VIEW_AS, support_group_sync
from tests.conftest import admin_login
from tests.factories import (
    EconomicConnectionFactory,
    MembershipFactory,
    StripeConnectionFactory,
    TenantFactory,
    UserFactory,
)
from tests.fixtures_stripe import first_account

pytestmark = pytest.mark.django_db


def _staff(*codenames: str, view_everything: bool = False):
    """A staff member (not a superuser) holding the view permission of every model (if asked) and
    the named permissions ("app_label.codename")."""
    user = UserFactory(is_staff=True)
    perms = (
        Permission.objects.filter(codename__startswith="view_")
        if view_everything
        else Permission.objects.none()
    )
    for name in codenames:
        app_label, codename = name.split(".")
        perms |= Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    user.user_permissions.set(perms)
    return user


def _client(client, user):
    admin_login(client, user)
    client.user = user
    return client


# --- item 1: no secret on any admin page ---------------------------------------------------------


def _secrets_on_file() -> tuple[list[str], dict]:
    """A world holding every kind of secret we keep, and the secrets themselves."""
    superuser = UserFactory(is_staff=True, is_superuser=True)
    device = TOTPDevice.objects.create(user=superuser, name="phone", confirmed=True)
    b32_key = b32encode(device.bin_key).decode().rstrip("=")
    stripe = StripeConnectionFactory()
    economic = EconomicConnectionFactory(tenant=stripe.tenant)
    MembershipFactory(tenant=stripe.tenant, role=Role.OWNER)
    invitation = Invitation.objects.for_tenant(stripe.tenant).create(
        email="new@firma.dk", role=Role.VIEWER, token_hash="f" * 64, expires=timezone.now()
    )
    _, _, salt, digest = superuser.password.split("$")
    secrets = [
        device.key,
        b32_key,
        device.config_url,
        superuser.password,
        salt[:6],
        digest[:6],
        stripe.api_key,
        stripe.webhook_secret,
        economic.grant_token,
        settings.SECRET_KEY,
        settings.FIELD_ENCRYPTION_KEY.split(",")[0],
        "gAAAAA",  # any Fernet token: the encrypted column itself
    ]
    objects = {"device": device, "invitation": invitation, "superuser": superuser}
    return secrets, objects


def _admin_urls() -> list[str]:
    """Every admin URL, each object URL filled with the first object of its model (if any)."""
    urls = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        first = model._base_manager.order_by("pk").first()
        for pattern in model_admin.urls:
            if not isinstance(pattern, URLPattern) or not pattern.name:
                continue
            params = re.findall(r"<(?:\w+:)?(\w+)>", str(pattern.pattern))
            if params and first is None:
                continue
            kwargs = {name: first.pk for name in params}
            urls.append(reverse(f"admin:{pattern.name}", kwargs=kwargs))
    return sorted(set(urls))


def test_a_view_only_staff_member_walks_every_admin_page_and_finds_no_secret(client):
    secrets, objects = _secrets_on_file()
    staff = _client(client, _staff(view_everything=True))
    assert len(_admin_urls()) > 60  # every registered model's pages, not a handful
    for url in _admin_urls():
        response = staff.get(url)
        assert response.status_code < 500, url
        page = response.content.decode(errors="replace")
        found = [secret for secret in secrets if secret in page]
        assert found == [], f"{url} shows a secret"
    device_page = reverse("admin:otp_totp_totpdevice_change", args=[objects["device"].pk])
    assert staff.get(device_page).status_code == 403  # authenticators are superusers' business


def test_a_superuser_sees_the_authenticators_but_never_a_key_nor_its_qr_code(client):
    secrets, objects = _secrets_on_file()
    superuser = _client(client, objects["superuser"])
    device = objects["device"]
    for url in (
        reverse("admin:otp_totp_totpdevice_changelist"),
        reverse("admin:otp_totp_totpdevice_change", args=[device.pk]),
    ):
        page = superuser.get(url)
        assert page.status_code == 200
        assert device.name in page.content.decode()
        assert [s for s in secrets[:3] if s in page.content.decode()] == []
    # django-otp's own admin served the key as a QR code and a config page: gone.
    assert superuser.get(f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/").status_code in (302, 404)
    assert superuser.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").status_code in (302, 404)


def test_staff_totp_shows_the_key_once_as_a_qr_code_and_can_make_a_support_member(capsys):
    UserFactory(username="agent@support.example", is_staff=True)
    call_command("staff_totp", "agent@support.example", "--support")
    out = capsys.readouterr().out
    device = TOTPDevice.objects.get(user__username="agent@support.example")
    assert "▀" in out or "▄" in out  # the QR code, drawn in the terminal
    secret = parse_qs(urlsplit(device.config_url).query)["secret"][0]
    assert out.count(secret) == 1  # and the URL it holds, once
    agent = device.user
    assert list(agent.groups.values_list("name", flat=True)) == [SUPPORT_GROUP]
    assert agent.has_perm(VIEW_AS) and agent.has_perm("customers.replay_stripeevent")
    assert not agent.has_perm(MAKE_OWNER)


# --- item 3: each support action takes its own permission ---------------------------------------


def test_the_support_group_holds_reading_and_each_support_action_but_not_making_owners():
    group = support_group_sync()
    held = {
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
    }
    for name in (
        VIEW_AS,
        "syncapp.test_connections_tenant",
        "customers.replay_stripeevent",
        "customers.retry_syncrecord",
        "customers.unlink_customerlink",
        "customers.cancel_importrun",
        "customers.resume_importrun",
        "syncapp.view_tenant",
        "customers.view_syncrecord",
        "mappings.view_settingschange",
    ):
        assert name in held, name
    assert MAKE_OWNER not in held
    assert not [name for name in held if name.split(".")[1].startswith(("change_", "add_", "delete_"))]
    assert not [name for name in held if name.startswith(("auth.", "otp_totp.", "axes."))]
    assert Group.objects.filter(name=SUPPORT_GROUP).count() == 1


def test_view_as_needs_its_permission_and_ends_when_it_is_taken_away(client):
    tenant = TenantFactory()
    staff = _client(client, _staff("syncapp.view_tenant"))
    refused = staff.post(reverse("view_as_start", args=[tenant.pk]))
    assert refused.status_code == 403
    assert not ViewAsSession.objects.exists()
    assert staff.get(f"/t/{tenant.slug}/").status_code == 404

    staff.user.user_permissions.add(Permission.objects.get(codename="view_as_tenant"))
    assert staff.post(reverse("view_as_start", args=[tenant.pk])).status_code == 302
    assert staff.get(f"/t/{tenant.slug}/").status_code == 200
    staff.user.user_permissions.remove(Permission.objects.get(codename="view_as_tenant"))
    assert staff.get(f"/t/{tenant.slug}/").status_code == 404


def _event(tenant):
    payload = {
        "id": "evt_1",
        "type": "customer.created",
        "created": 1700000000,
        "data": {"object": {"id": "cus_1"}},
    }
    return event_store(tenant=tenant, stripe_account=first_account(tenant), event=payload)[0]


def _replay(tenant):
    event = _event(tenant)
    StripeEvent.all_tenants.filter(pk=event.pk).update(status="failed")
    return (
        "stripeevent",
        "replay_events",
        event.pk,
        lambda: StripeEvent.all_tenants.get(pk=event.pk).status == "pending",
    )


def _replay_failed(tenant):
    event = _event(tenant)
    StripeEvent.all_tenants.filter(pk=event.pk).update(status="failed")
    done = lambda: StripeEvent.all_tenants.get(pk=event.pk).status == "pending"  # noqa: E731
    return "tenant", "replay_failed_events", tenant.pk, done


def _retry(tenant):
    record = SyncRecord.all_tenants.create(
        tenant=tenant, stripe_customer_id="cus_1", action="failed", message="x"
    )
    done = lambda: LogEntry.objects.filter(change_message__contains="retried by support").exists()  # noqa: E731
    return "syncrecord", "retry_syncs", record.pk, done


def _unlink(tenant):
    link = CustomerLink.all_tenants.create(
        tenant=tenant,
        stripe_account=first_account(tenant),
        stripe_customer_id="cus_1",
        economic_customer_number=7,
    )
    return "customerlink", "unlink", link.pk, lambda: not CustomerLink.all_tenants.filter(pk=link.pk).exists()


def _cancel(tenant):
    run = ImportRun.all_tenants.create(
        tenant=tenant, stripe_account=first_account(tenant), started_by="x", status="running"
    )
    return (
        "importrun",
        "cancel_imports",
        run.pk,
        lambda: ImportRun.all_tenants.get(pk=run.pk).status == "cancelled",
    )


def _resume(tenant):
    run = ImportRun.all_tenants.create(
        tenant=tenant, stripe_account=first_account(tenant), started_by="x", status="cancelled"
    )
    return (
        "importrun",
        "resume_imports",
        run.pk,
        lambda: ImportRun.all_tenants.get(pk=run.pk).status == "queued",
    )


def _test_connections(tenant):
    done = lambda: LogEntry.objects.filter(change_message__contains="Connections tested").exists()  # noqa: E731
    return "tenant", "test_connections", tenant.pk, done


ACTIONS = {
    "customers.replay_stripeevent": _replay,
    "customers.replay_stripeevent ": _replay_failed,  # the tenant list's "replay failed events"
    "customers.retry_syncrecord": _retry,
    "customers.unlink_customerlink": _unlink,
    "customers.cancel_importrun": _cancel,
    "customers.resume_importrun": _resume,
    "syncapp.test_connections_tenant": _test_connections,
}


@pytest.mark.parametrize(
    "permission", list(ACTIONS), ids=lambda p: p.strip() + ("-tenant" if p.endswith(" ") else "")
)
@pytest.mark.parametrize("granted", [False, True], ids=["view-only", "granted"])
def test_each_support_action_takes_its_own_permission(permission, granted, client, monkeypatch):
    from customers.services import imports
    from operations import admin_tenants

    monkeypatch.setattr(imports, "enqueue_import", lambda run_id, token: None)
    monkeypatch.setattr(admin_tenants, "stripe_check", lambda *, connection: None)
    monkeypatch.setattr(admin_tenants, "economic_check", lambda *, tenant: None)
    tenant = TenantFactory()
    model, action, pk, done = ACTIONS[permission](tenant)
    app = "syncapp" if model == "tenant" else "customers"
    view_only = [f"{app}.view_{model}"]
    staff = _client(client, _staff(*view_only, *([permission.strip()] if granted else [])))
    form = {
        "action": action,
        "_selected_action": [pk],
        "index": 0,
        "confirm": "yes",
        "reason": "asked by the merchant",
    }
    staff.post(reverse(f"admin:{app}_{model}_changelist"), form)
    assert done() is granted


def _tenant_form(tenant: Tenant, rows: list[dict]) -> dict:
    """The tenant's change form as the admin posts it, with these membership rows (the inline's
    prefix is "-1": Membership's tenant has no reverse name; the secrets inlines are not shown)."""
    prefix = "-1"
    form = {
        "slug": tenant.slug,
        "name": tenant.name,
        f"{prefix}-TOTAL_FORMS": len(rows),
        f"{prefix}-INITIAL_FORMS": sum(1 for row in rows if "id" in row),
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }
    for n, row in enumerate(rows):
        for key, value in row.items():
            form[f"{prefix}-{n}-{key}"] = value
        form[f"{prefix}-{n}-tenant"] = tenant.pk
    return form


MEMBERSHIP_EDITOR = [
    "syncapp.view_tenant",
    "syncapp.change_tenant",
    "syncapp.add_membership",
    "syncapp.change_membership",
]


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_a_staff_member_cannot_join_a_merchant_without_the_make_owner_permission(role, client):
    tenant = TenantFactory()
    staff = _client(client, _staff(*MEMBERSHIP_EDITOR))
    url = reverse("admin:syncapp_tenant_change", args=[tenant.pk])
    response = staff.post(url, _tenant_form(tenant, [{"user": staff.user.pk, "role": role}]))
    assert response.status_code == 200  # the form again, with the refusal
    errors = [formset.formset.errors for formset in response.context["inline_admin_formsets"]]
    assert "make owner" in response.content.decode(), (response.context["errors"], errors)
    assert not Membership.objects.for_tenant(tenant).exists()


def test_making_someone_owner_or_changing_an_owner_takes_the_permission(client):
    tenant = TenantFactory()
    owner = MembershipFactory(tenant=tenant, role=Role.OWNER)
    merchant_user = UserFactory()
    staff = _client(client, _staff(*MEMBERSHIP_EDITOR))
    url = reverse("admin:syncapp_tenant_change", args=[tenant.pk])
    demote = {"id": owner.pk, "user": owner.user.pk, "role": Role.VIEWER}
    staff.post(url, _tenant_form(tenant, [demote, {"user": merchant_user.pk, "role": Role.OWNER}]))
    assert list(Membership.objects.for_tenant(tenant).values_list("role", flat=True)) == [Role.OWNER]

    staff.user.user_permissions.add(Permission.objects.get(codename="make_owner_membership"))
    keep = {"id": owner.pk, "user": owner.user.pk, "role": Role.OWNER}
    answer = staff.post(url, _tenant_form(tenant, [keep, {"user": merchant_user.pk, "role": Role.OWNER}]))
    assert answer.status_code == 302
    assert Membership.objects.for_tenant(tenant).get(user=merchant_user).role == Role.OWNER


def test_a_staff_member_who_may_change_users_cannot_raise_anyone(client):
    staff = _client(
        client, _staff("auth.view_user", "auth.change_user", "auth.view_group", "auth.change_group")
    )
    me = staff.user
    merchant = UserFactory()
    base = {
        "username": "x",
        "email": "x@example.com",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00",
    }
    assert (
        staff.post(
            reverse("admin:auth_user_change", args=[me.pk]), {**base, "is_superuser": "on"}
        ).status_code
        == 403
    )
    staff.post(
        reverse("admin:auth_user_change", args=[merchant.pk]),
        {**base, "username": merchant.username, "is_staff": "on", "is_superuser": "on", "is_active": "on"},
    )
    merchant.refresh_from_db()
    me.refresh_from_db()
    assert not (merchant.is_staff or merchant.is_superuser or me.is_superuser)
    support = support_group_sync()
    staff.post(
        reverse("admin:auth_group_change", args=[support.pk]), {"name": SUPPORT_GROUP, "permissions": []}
    )
    assert support.permissions.count() == len(support_group_sync().permissions.all()) > 0
    assert staff.get(reverse("admin:auth_user_password_change", args=[merchant.pk])).status_code == 403
