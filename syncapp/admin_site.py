"""The admin behind a second factor: staff sign in with their password and a TOTP code
(django-otp). In DEBUG only, OTP_EXEMPT_USERNAMES may name staff accounts that sign in without."""

from django.conf import settings
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite


def otp_exempt(user) -> bool:
    return bool(settings.DEBUG) and user.get_username() in settings.OTP_EXEMPT_USERNAMES


class SupportAdminAuthenticationForm(OTPAdminAuthenticationForm):
    def clean_otp(self, user):
        if user is not None and otp_exempt(user):
            return
        super().clean_otp(user)

    def _chosen_device(self, user):
        # A staff member with one authenticator need not pick it from a list first; with several,
        # django-otp's explicit choice stands (trying each would count failures against the others).
        device = super()._chosen_device(user)
        if device is None and not self.cleaned_data.get("otp_device"):
            devices = list(devices_for_user(user))
            device = devices[0] if len(devices) == 1 else None
        return device


class SupportAdminSite(OTPAdminSite):
    site_header = "Support console"
    site_title = "Support console"
    index_title = "Merchants, their events and sync records"
    login_form = SupportAdminAuthenticationForm
    # The tenant list's health columns need the width more than the sidebar's app list.
    enable_nav_sidebar = False

    def has_permission(self, request):
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        return user.is_verified() or otp_exempt(user)
