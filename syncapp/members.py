"""A tenant's members: owners invite admins and viewers by e-mail (a single-use link that
expires), change roles and remove members; a tenant never loses its last owner.

Invitations are limited per tenant per hour (INVITATIONS_PER_HOUR), and an owner invites only once
their own e-mail is verified (syncapp/verification.py): the e-mails go out in their name.
"""

import hashlib
import secrets
import smtplib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .mail import mail_send
from .models import Invitation, Membership, Role, Tenant
from .verification import email_mark_verified, email_verified

User = get_user_model()
INVITATION_LIFETIME = timedelta(days=7)
INVITABLE_ROLES = (Role.ADMIN, Role.VIEWER)


class MembersRefused(Exception):
    """The change would break a rule (the last owner, a used link); the message says which."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_url(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('invitation', args=[token])}"


def invitation_create(*, tenant: Tenant, email: str, role: str, invited_by) -> tuple[Invitation, str]:
    """Invite `email` as admin or viewer and e-mail the link; returns the invitation and its link.

    An earlier unused invitation to the same address is revoked: only the newest link works.
    """
    email = email.strip().lower()
    if role not in INVITABLE_ROLES:
        raise MembersRefused(_("Invite admins or viewers; an admin can be made owner once they joined."))
    if not email_verified(user=invited_by):
        raise MembersRefused(
            _(
                "Verify your e-mail address first: open the link we sent to %(email)s "
                "(or send it again below). Then you can invite members."
            )
            % {"email": invited_by.email}
        )
    if Membership.objects.for_tenant(tenant).filter(user__email__iexact=email).exists():
        raise MembersRefused(
            _("%(email)s is already a member of %(tenant)s.") % {"email": email, "tenant": tenant.name}
        )
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    # All or nothing: an e-mail that cannot be sent leaves no invitation behind (and no revoked one).
    with transaction.atomic():
        _count_this_hour(tenant, now)
        _pending(tenant).filter(email__iexact=email).update(revoked_at=now)
        invitation = Invitation.objects.for_tenant(tenant).create(
            email=email,
            role=role,
            token_hash=_hash(token),
            invited_by=invited_by,
            expires=now + INVITATION_LIFETIME,
        )
        link = invitation_url(token)
        _invitation_send(invitation, link, inviter=invited_by.email)
    return invitation, link


def _count_this_hour(tenant: Tenant, now) -> None:
    # The tenant's row is locked, so invitations sent at once are counted one after another.
    Tenant.objects.select_for_update().filter(pk=tenant.pk).exists()
    sent = Invitation.objects.for_tenant(tenant).filter(created__gt=now - timedelta(hours=1)).count()
    if sent >= settings.INVITATIONS_PER_HOUR:
        raise MembersRefused(
            ngettext(
                "%(tenant)s sent %(count)d invitation in the past hour, the most we send: try again later.",
                "%(tenant)s sent %(count)d invitations in the past hour, the most we send: try again later.",
                sent,
            )
            % {"tenant": tenant.name, "count": sent}
        )


def _invitation_send(invitation: Invitation, link: str, *, inviter: str) -> None:
    tenant = invitation.tenant
    try:
        # In the inviter's language (the one active now): the invited person has none of their own yet.
        words = {"inviter": inviter, "tenant": tenant.name, "days": INVITATION_LIFETIME.days, "link": link}
        role_sentence = (
            _("%(inviter)s invites you to %(tenant)s as admin.")
            if invitation.role == Role.ADMIN
            else _("%(inviter)s invites you to %(tenant)s as viewer.")
        )
        mail_send(
            subject=_("Join %(tenant)s on Stripe ↔ e-conomic sync") % words,
            message=(
                role_sentence % words
                + "\n\n"
                + _("Accept within %(days)d days (the link works once):\n%(link)s\n") % words
            ),
            recipients=[invitation.email],
        )
    except (BadHeaderError, smtplib.SMTPException, OSError) as exc:
        raise MembersRefused(
            _(
                "The invitation e-mail to %(email)s could not be sent, so nothing was saved: "
                "try again in a few minutes."
            )
            % {"email": invitation.email}
        ) from exc


def _pending(tenant: Tenant):
    return Invitation.objects.for_tenant(tenant).filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires__gt=timezone.now()
    )


def pending_invitations_for(*, tenant: Tenant) -> list[Invitation]:
    return list(_pending(tenant).select_related("invited_by"))


def invitation_for_token(token: str) -> Invitation:
    """The usable invitation behind a link, or MembersRefused saying why it cannot be used."""
    invitation = Invitation.all_tenants.select_related("tenant").filter(token_hash=_hash(token)).first()
    if invitation is None or invitation.revoked_at is not None:
        raise MembersRefused(
            _("This invitation link is not valid (it may have been replaced by a newer one).")
        )
    if invitation.accepted_at is not None:
        raise MembersRefused(_("This invitation link was already used. Log in to reach the merchant."))
    if invitation.expires <= timezone.now():
        raise MembersRefused(_("This invitation link has expired: ask the owner to invite you again."))
    return invitation


def invitation_accept(*, token: str, user) -> Membership:
    """Join the invitation's tenant as `user`, whose e-mail must be the one invited; once only."""
    with transaction.atomic():
        invitation = invitation_for_token(token)
        invitation = Invitation.all_tenants.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None:
            raise MembersRefused(_("This invitation link was already used."))
        if (user.email or "").lower() != invitation.email.lower():
            raise MembersRefused(
                _(
                    "This invitation is for %(email)s; you are logged in as %(user_email)s. Log out and "
                    "open the link again."
                )
                % {"email": invitation.email, "user_email": user.email}
            )
        membership, created = Membership.objects.for_tenant(invitation.tenant).get_or_create(
            user=user, defaults={"role": invitation.role}
        )
        invitation.accepted_at, invitation.accepted_by = timezone.now(), user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        # The link reached this address: it is verified.
        email_mark_verified(user=user)
    return membership


def invitation_signup(*, token: str, password: str):
    """A person without an account accepts: the account is made for the invited e-mail."""
    invitation = invitation_for_token(token)
    email = invitation.email.lower()
    if User.objects.filter(username__iexact=email).exists():
        raise MembersRefused(
            _("An account with this e-mail already exists: log in, then open the link again.")
        )
    user = User(username=email, email=email)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise MembersRefused(" ".join(exc.messages)) from exc
    user.set_password(password)
    with transaction.atomic():
        user.save()
        invitation_accept(token=token, user=user)
    return user


def invitation_revoke(*, tenant: Tenant, invitation: Invitation) -> None:
    Invitation.objects.for_tenant(tenant).filter(pk=invitation.pk, accepted_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def membership_role_change(*, tenant: Tenant, membership: Membership, role: str) -> Membership:
    if role not in Role.values:
        raise MembersRefused(_("Choose owner, admin or viewer."))
    with transaction.atomic():
        if membership.role == Role.OWNER and role != Role.OWNER:
            _keep_an_owner(tenant, membership)
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def membership_remove(*, tenant: Tenant, membership: Membership) -> None:
    with transaction.atomic():
        if membership.role == Role.OWNER:
            _keep_an_owner(tenant, membership)
        membership.delete()


def _keep_an_owner(tenant: Tenant, leaving: Membership) -> None:
    # Locked, so two owners demoting each other at once cannot both succeed.
    owners = list(
        Membership.objects.for_tenant(tenant)
        .select_for_update()
        .filter(role=Role.OWNER)
        .values_list("pk", flat=True)
    )
    if owners == [leaving.pk]:
        raise MembersRefused(
            _("%(name)s needs at least one owner: make someone else owner first.") % {"name": tenant.name}
        )
