from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy

from syncapp.tenancy import TenantOwnedModel


class SettingsSource(models.TextChoices):
    MATCHING = "matching", gettext_lazy("Customer match settings")
    NUMBER = "number", gettext_lazy("Customer number handling")
    DEFAULTS = "defaults", gettext_lazy("Customer default mappings")
    FIELD_MAPPINGS = "field_mappings", gettext_lazy("Customer field mappings")
    IMPORT = "import", gettext_lazy("Import")


class SyncSettingsDocument(TenantOwnedModel):
    """A tenant's customer sync settings: the versioned document of mappings/document.py.

    No row means the defaults: a tenant gets one on its first save.
    """

    document = models.JSONField()
    updated = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "customer sync settings"
        verbose_name_plural = "customer sync settings"
        constraints = [models.UniqueConstraint(fields=["tenant"], name="one_sync_settings_per_tenant")]

    def __str__(self) -> str:
        return f"Customer sync settings of tenant {self.tenant_id}"


class SettingsChange(TenantOwnedModel):
    """One saved change of the settings, with the whole document before and after."""

    created = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept apart from `user`, so the history still says who after the account is gone;
    # empty for changes made by an operator's command.
    user_email = models.CharField(max_length=254, blank=True)
    source = models.CharField(max_length=20, choices=SettingsSource.choices)
    before = models.JSONField()
    after = models.JSONField()

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["tenant", "-created"], name="settings_change_tenant_created")]

    def __str__(self) -> str:
        return f"{self.get_source_display()} changed {self.created:%Y-%m-%d %H:%M} (tenant {self.tenant_id})"
