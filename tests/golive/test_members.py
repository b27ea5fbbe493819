"""Members: owners invite admins and viewers by e-mail (single-use, expiring links), change roles
and remove members, never the last owner; only owners manage; a user switches tenants from the header."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from syncapp.models import Invitation, Membership, Role
from tests.factories import MembershipFactory, TenantFactory, UserFactory

pytestmark = pytest.mark.django_db


def _invite(client, tenant, email="new@firma.dk", role="admin"):
    return client.post(reverse("member_invite", args=[tenant.slug]), {"email": email, "role": role})


def _link() -> str:
    (message,) = mail.outbox
    return re.search(r"https?://\S+/invite/\S+/", message.body).group(0)


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def test_an_owner_invites_an_admin_who_signs_up_through_the_single_use_link(owner_client, tenant, client):
    response = _invite(owner_client, tenant, email="New@Firma.dk")
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["new@firma.dk"] and tenant.name in message.subject
    link = _link()
    owner_client.logout()

    page = client.get(_path(link))
    assert page.status_code == 200 and f"Join {tenant.name}" in page.content.decode()
    joined = client.post(_path(link), {"password": "a long new passphrase 42"})
    assert joined.status_code == 302 and joined["Location"] == reverse("dashboard", args=[tenant.slug])
    membership = Membership.objects.for_tenant(tenant).get(user__email="new@firma.dk")
    assert membership.role == Role.ADMIN

    client.logout()
    again = client.get(_path(link))
    assert again.status_code == 410 and "already used" in again.content.decode()


def test_an_existing_user_joins_when_logged_in_with_the_invited_email(owner_client, tenant, client):
    other_tenant_user = MembershipFactory(role="owner").user
    _invite(owner_client, tenant, email=other_tenant_user.email, role="viewer")
    link = _link()
    client.force_login(other_tenant_user)
    assert client.post(_path(link)).status_code == 302
    assert Membership.objects.for_tenant(tenant).get(user=other_tenant_user).role == Role.VIEWER
    # Now in two tenants: the header offers the switch.
    page = client.get(reverse("dashboard", args=[tenant.slug])).content.decode()
    assert "Switch merchant" in page and tenant.name in page


def test_someone_else_cannot_use_the_link(owner_client, tenant, client):
    _invite(owner_client, tenant, email="invited@firma.dk")
    link = _link()
    client.force_login(UserFactory(email="other@firma.dk"))
    client.post(_path(link))
    assert not Membership.objects.for_tenant(tenant).filter(user__email="other@firma.dk").exists()


def test_an_expired_link_is_refused(owner_client, tenant, client):
    _invite(owner_client, tenant)
    link = _link()
    Invitation.objects.for_tenant(tenant).update(expires=timezone.now() - timedelta(seconds=1))
    owner_client.logout()
    page = client.get(_path(link))
    assert page.status_code == 410 and "expired" in page.content.decode()


def test_the_database_holds_no_usable_link(owner_client, tenant):
    _invite(owner_client, tenant)
    token = _link().rstrip("/").rsplit("/", 1)[1]
    assert not Invitation.all_tenants.filter(token_hash=token).exists()


def test_an_owner_changes_roles_and_removes_members(owner_client, tenant):
    admin = MembershipFactory(tenant=tenant, role="admin")
    response = owner_client.post(reverse("member_role", args=[tenant.slug, admin.pk]), {"role": "viewer"})
    assert response.status_code == 302
    admin.refresh_from_db()
    assert admin.role == Role.VIEWER
    owner_client.post(reverse("member_remove", args=[tenant.slug, admin.pk]))
    assert not Membership.objects.for_tenant(tenant).filter(pk=admin.pk).exists()


def test_the_last_owner_can_be_neither_demoted_nor_removed(owner_client, tenant, owner):
    me = Membership.objects.for_tenant(tenant).get(user=owner)
    owner_client.post(reverse("member_role", args=[tenant.slug, me.pk]), {"role": "admin"})
    owner_client.post(reverse("member_remove", args=[tenant.slug, me.pk]))
    me.refresh_from_db()
    assert me.role == Role.OWNER
    second = MembershipFactory(tenant=tenant, role="owner")
    owner_client.post(reverse("member_role", args=[tenant.slug, me.pk]), {"role": "admin"})
    me.refresh_from_db()
    second.refresh_from_db()
    assert me.role == Role.ADMIN and second.role == Role.OWNER


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_only_owners_manage_members(client, tenant, role):
    target = MembershipFactory(tenant=tenant, role="viewer")
    client.force_login(MembershipFactory(tenant=tenant, role=role).user)
    assert client.get(reverse("members", args=[tenant.slug])).status_code == 200
    assert _invite(client, tenant).status_code == 403
    assert (
        client.post(reverse("member_role", args=[tenant.slug, target.pk]), {"role": "owner"}).status_code
        == 403
    )
    assert client.post(reverse("member_remove", args=[tenant.slug, target.pk])).status_code == 403
    target.refresh_from_db()
    assert target.role == Role.VIEWER and mail.outbox == []


def test_another_tenants_member_cannot_be_touched(owner_client, tenant):
    theirs = MembershipFactory(tenant=TenantFactory(), role="owner")
    response = owner_client.post(reverse("member_role", args=[tenant.slug, theirs.pk]), {"role": "viewer"})
    assert response.status_code == 404


def test_an_invited_user_logs_in_later_with_the_password_they_chose(owner_client, tenant, client):
    _invite(owner_client, tenant, email="pw@firma.dk")
    link = _link()
    owner_client.logout()
    client.post(_path(link), {"password": "a long new passphrase 42"})
    client.logout()
    response = client.post(
        reverse("login"), {"username": "pw@firma.dk", "password": "a long new passphrase 42"}
    )
    assert response.status_code == 302


def test_the_password_an_invited_person_sets_is_hidden_from_error_reports(tenant, owner, client):
    from urllib.parse import urlsplit

    from django.views.debug import SafeExceptionReporterFilter

    from syncapp.members import invitation_create

    _, link = invitation_create(tenant=tenant, email="new@firma.dk", role="viewer", invited_by=owner)
    response = client.post(urlsplit(link).path, {"password": "hunter2-invited-secret"})
    reported = SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)
    assert "hunter2-invited-secret" not in str(reported)
