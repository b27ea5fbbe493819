from django.contrib import admin

from syncapp.admin_records import RecordAdmin, pretty_json

from .models import SettingsChange, SyncSettingsDocument


@admin.register(SyncSettingsDocument)
class SyncSettingsDocumentAdmin(admin.ModelAdmin):
    """Read-only: a change goes through the tabs or `tenant_settings import`, which validate it."""

    list_display = ["tenant", "updated", "updated_by"]
    search_fields = ["tenant__slug", "tenant__name"]
    list_select_related = ["tenant", "updated_by"]
    fields = ["tenant", "updated", "updated_by", "document_pretty"]
    readonly_fields = fields

    @admin.display(description="Document")
    def document_pretty(self, obj):
        return pretty_json(obj.document)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SettingsChange)
class SettingsChangeAdmin(RecordAdmin):
    """The history is a record: nobody edits or deletes it."""

    list_display = ["created", "tenant", "source", "user_email"]
    list_filter = ["source"]
    search_fields = ["tenant__slug", "tenant__name", "user_email"]
    list_select_related = ["tenant"]
    fields = ["tenant", "created", "user", "user_email", "source", "before_pretty", "after_pretty"]
    readonly_fields = fields

    @admin.display(description="Before")
    def before_pretty(self, obj):
        return pretty_json(obj.before)

    @admin.display(description="After")
    def after_pretty(self, obj):
        return pretty_json(obj.after)
