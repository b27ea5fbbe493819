"""Staff accounts in the support console: who may change whom, and no secret on any page.

Only superusers manage staff: their authenticators (never the key, which is shown once, by
`staff_totp`), groups and permissions, and other staff accounts. A staff member who may change
users changes merchants' accounts only, and never makes anyone staff, superuser or a holder of a
permission: otherwise one permission would lead to all of them.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django_otp.plugins.otp_totp.models import TOTPDevice

User = get_user_model()
# What only a superuser changes on an account.
PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


def _superuser(request) -> bool:
    return request.user.is_active and request.user.is_superuser


class StaffDeviceAdmin(admin.ModelAdmin):
    """Staff authenticators, for superusers only: which exist and when each was last used, so a
    lost phone's can be deleted. The key is in no field and no page (django-otp's own admin
    shows it, and serves it as a QR code)."""

    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at", "throttling_failure_count"]
    readonly_fields = fields
    list_select_related = ["user"]

    def has_module_permission(self, request):
        return _superuser(request)

    def has_view_permission(self, request, obj=None):
        return _superuser(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return _superuser(request)


class StaffUserAdmin(UserAdmin):
    """Django's user admin, less the password hash (shown to nobody: a reset is the way to a new
    password) and less every privilege for anyone but a superuser."""

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "password"]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly if _superuser(request) else [*readonly, *PRIVILEGE_FIELDS]

    def has_change_permission(self, request, obj=None):
        if obj is not None and (obj.is_staff or obj.is_superuser) and not _superuser(request):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and (obj.is_staff or obj.is_superuser) and not _superuser(request):
            return False
        return super().has_delete_permission(request, obj)

    def user_change_password(self, request, id, form_url=""):
        if not _superuser(request):
            raise PermissionDenied("Only a superuser sets a password here; anyone can reset their own.")
        return super().user_change_password(request, id, form_url)


class StaffGroupAdmin(GroupAdmin):
    """Groups hold permissions: only superusers change them (a member could grant itself more)."""

    def has_add_permission(self, request):
        return _superuser(request)

    def has_change_permission(self, request, obj=None):
        return _superuser(request)

    def has_delete_permission(self, request, obj=None):
        return _superuser(request)


for model, model_admin in ((TOTPDevice, StaffDeviceAdmin), (User, StaffUserAdmin), (Group, StaffGroupAdmin)):
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
