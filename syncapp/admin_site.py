"""The admin behind a second factor: staff sign in with their password and a TOTP code
(django-otp). In DEBUG only, OTP_EXEMPT_USERNAMES may name staff accounts that sign in without."""

from django.conf import settings
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite


def otp_exempt(user) -> bool:
    return bool(settings.DEBUG) and user.get_username() in settings.OTP_EXEMPT_USERNAMES


class SupportAdminAuthenticationForm(OTPAdminAuthenticationForm):
    def clean_otp(self, user):
        if user is not None and otp_exempt(user):
            return
        super().clean_otp(user)


class SupportAdminSite(OTPAdminSite):
    site_header = "Support console"
    site_title = "Support console"
    index_title = "Merchants, their events and sync records"
    login_form = SupportAdminAuthenticationForm

    def has_permission(self, request):
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        return user.is_verified() or otp_exempt(user)
