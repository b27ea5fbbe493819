from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class SyncappConfig(AppConfig):
    name = "syncapp"
    verbose_name = "Merchants"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import language  # noqa: F401  (its login receiver remembers the member's language)
        from .staff import sync_support_group_after_migrate

        post_migrate.connect(sync_support_group_after_migrate, dispatch_uid="syncapp-support-group")


class SupportAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the second-factor site (syncapp/admin_site.py) as `admin.site`."""

    default = False  # never picked for the `syncapp` app itself
    default_site = "syncapp.admin_site.SupportAdminSite"
