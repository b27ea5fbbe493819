"""The members page (owners manage, everyone sees) and the invitation link's landing page."""

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from . import members
from .models import Invitation, Membership, Role
from .tenancy import tenant_view
from .verification import email_verified


class InviteForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail"))
    role = forms.ChoiceField(
        label=gettext_lazy("Role"), choices=[(r.value, r.label) for r in members.INVITABLE_ROLES]
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class AlertsForm(forms.Form):
    alerts_enabled = forms.BooleanField(
        required=False, label=gettext_lazy("E-mail owners and admins about new failures")
    )


class PasswordForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Choose a password"), widget=forms.PasswordInput, max_length=128
    )


def _owners_only(request) -> None:
    if request.membership.role != Role.OWNER:
        raise PermissionDenied("Only owners manage members.")


@tenant_view
def members_page(request, invite_form=None):
    tenant = request.tenant
    context = {
        "memberships": Membership.objects.for_tenant(tenant).select_related("user").order_by("user__email"),
        "invitations": members.pending_invitations_for(tenant=tenant),
        "invite_form": invite_form or InviteForm(),
        "roles": Role.choices,
        "is_owner": request.membership.role == Role.OWNER,
        "email_verified": email_verified(user=request.user),
    }
    return render(request, "syncapp/members.html", context)


@tenant_view(edit=True)
@require_POST
def member_invite(request):
    _owners_only(request)
    form = InviteForm(request.POST)
    if not form.is_valid():
        return members_page.__wrapped__(request, invite_form=form)
    try:
        invitation, _link = members.invitation_create(
            tenant=request.tenant, invited_by=request.user, **form.cleaned_data
        )
    except members.MembersRefused as exc:
        messages.warning(request, str(exc))
    else:
        messages.success(
            request,
            _("Invitation sent to %(email)s: the link works once, for 7 days.") % {"email": invitation.email},
        )
    return redirect("members", slug=request.tenant.slug)


@tenant_view(edit=True)
@require_POST
def member_role(request, member_id: int):
    _owners_only(request)
    membership = get_object_or_404(Membership.objects.for_tenant(request.tenant), pk=member_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.warning(request, _("Choose owner, admin or viewer."))
        return redirect("members", slug=request.tenant.slug)
    try:
        members.membership_role_change(
            tenant=request.tenant, membership=membership, role=form.cleaned_data["role"]
        )
    except members.MembersRefused as exc:
        messages.warning(request, str(exc))
    else:
        messages.success(
            request,
            _("%(email)s is now %(role)s.")
            % {"email": membership.user.email, "role": membership.get_role_display().lower()},
        )
    return redirect("members", slug=request.tenant.slug)


@tenant_view(edit=True)
@require_POST
def member_remove(request, member_id: int):
    _owners_only(request)
    membership = get_object_or_404(Membership.objects.for_tenant(request.tenant), pk=member_id)
    try:
        members.membership_remove(tenant=request.tenant, membership=membership)
    except members.MembersRefused as exc:
        messages.warning(request, str(exc))
        return redirect("members", slug=request.tenant.slug)
    messages.success(
        request,
        _("%(email)s was removed from %(name)s.")
        % {"email": membership.user.email, "name": request.tenant.name},
    )
    if membership.user_id == request.user.pk:
        return redirect("home")
    return redirect("members", slug=request.tenant.slug)


@tenant_view(edit=True)
@require_POST
def invitation_revoke(request, invitation_id: int):
    _owners_only(request)
    invitation = get_object_or_404(Invitation.objects.for_tenant(request.tenant), pk=invitation_id)
    members.invitation_revoke(tenant=request.tenant, invitation=invitation)
    messages.success(request, _("The invitation to %(email)s no longer works.") % {"email": invitation.email})
    return redirect("members", slug=request.tenant.slug)


@tenant_view(edit=True)
@require_POST
def alerts_setting(request):
    form = AlertsForm(request.POST)
    form.is_valid()  # an unticked (or junk) box is off
    request.tenant.alerts_enabled = bool(form.cleaned_data.get("alerts_enabled"))
    request.tenant.save(update_fields=["alerts_enabled"])
    state = "on" if request.tenant.alerts_enabled else "off"
    messages.success(request, _("Alert e-mails are %(state)s.") % {"state": state})
    return redirect("members", slug=request.tenant.slug)


@sensitive_post_parameters("password")
def invitation(request, token: str):
    """The link in the e-mail: join as the logged-in user, or make an account for the invited e-mail."""
    try:
        invite = members.invitation_for_token(token)
    except members.MembersRefused as exc:
        return render(request, "syncapp/invitation.html", {"refused": str(exc)}, status=410)
    form = PasswordForm(request.POST or None)
    if request.method == "POST":
        try:
            if request.user.is_authenticated:
                membership = members.invitation_accept(token=token, user=request.user)
            elif form.is_valid():
                user = members.invitation_signup(token=token, password=form.cleaned_data["password"])
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                membership = Membership.objects.for_tenant(invite.tenant).get(user=user)
            else:
                membership = None
        except members.MembersRefused as exc:
            messages.warning(request, str(exc))
        else:
            if membership is not None:
                messages.success(request, _("Welcome to %(name)s.") % {"name": invite.tenant.name})
                return redirect("dashboard", slug=invite.tenant.slug)
    return render(request, "syncapp/invitation.html", {"invite": invite, "form": form})
