"""E-mail verification and password reset (Django's own views, with our templates and limits)."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from . import services, verification
from .forms import EMAIL_MAX_LENGTH


def email_verify(request, token: str):
    """The link in the verification e-mail (it proves the address; no sign-in needed)."""
    try:
        user = verification.email_verify(token=token)
    except verification.VerificationRefused as exc:
        return render(request, "registration/email_verified.html", {"refused": str(exc)}, status=410)
    return render(request, "registration/email_verified.html", {"verified_email": user.email})


@login_required
@require_POST
def email_verification_resend(request):
    user = request.user
    if verification.email_verified(user=user):
        messages.info(request, _("%(email)s is already verified.") % {"email": user.email})
    elif verification.email_verification_send(user=user):
        messages.success(
            request,
            _("We sent a new link to %(email)s: open it to verify your e-mail.") % {"email": user.email},
        )
    else:
        messages.warning(request, _("We sent several links this hour already: look for them, or try later."))
    return redirect(request.POST.get("next") or "home") if _safe_next(request) else redirect("home")


def _safe_next(request) -> bool:
    # Only a path of ours: never an address elsewhere.
    target = request.POST.get("next", "")
    return target.startswith("/") and not target.startswith("//") and "\\" not in target


class ResetRequestForm(PasswordResetForm):
    email = forms.EmailField(
        label=gettext_lazy("E-mail"),
        max_length=EMAIL_MAX_LENGTH,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def get_users(self, email):
        # The same answer either way ("if an account exists..."): a limited address just gets no mail.
        if not services.password_reset_allowed(email=email):
            return iter(())
        return super().get_users(email)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = ResetRequestForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        # Links are built on SITE_URL, never on the Host header the request came with.
        self.extra_email_context = {"site_url": settings.SITE_URL}
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        # The link reached the account's address: it is verified.
        verification.email_mark_verified(user=form.user)
        return response
