from syncapp.models import Tenant

from .selectors import sync_settings_for


def settings_panel(tenant: Tenant) -> dict:
    settings = sync_settings_for(tenant=tenant)
    return {
        "template": "mappings/panels/settings.html",
        "defaults_complete": settings.defaults_complete,
        "settings": settings,
    }
