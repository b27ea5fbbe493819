from syncapp.models import Tenant

from .document import default_document, parse
from .engine import SyncSettings
from .models import SettingsChange, SyncSettingsDocument


def settings_document_for(*, tenant: Tenant) -> dict:
    """The tenant's saved document, or the defaults when it has saved nothing yet."""
    row = SyncSettingsDocument.objects.for_tenant(tenant).only("document").first()
    return row.document if row is not None else default_document()


def sync_settings_for(*, tenant: Tenant) -> SyncSettings:
    return parse(settings_document_for(tenant=tenant))


def settings_changes_for(*, tenant: Tenant):
    return SettingsChange.objects.for_tenant(tenant).select_related("user")
