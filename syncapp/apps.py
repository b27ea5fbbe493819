from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class SyncappConfig(AppConfig):
    name = "syncapp"
    verbose_name = "Merchants"


class SupportAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the second-factor site (syncapp/admin_site.py) as `admin.site`."""

    default = False  # never picked for the `syncapp` app itself
    default_site = "syncapp.admin_site.SupportAdminSite"
