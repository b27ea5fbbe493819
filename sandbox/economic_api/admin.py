from django.contrib import admin

from . import models


class ReadOnlyAdmin(admin.ModelAdmin):
    """The emulator's state is changed through its API and seed helpers, not by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(models.App)
class AppAdmin(ReadOnlyAdmin):
    list_display = ["name", "public_token"]
    # The secret token stays out of the admin's pages.
    exclude = ["secret_token"]


@admin.register(models.Agreement)
class AgreementAdmin(ReadOnlyAdmin):
    list_display = ["agreement_number", "company_name", "read_only", "created"]
    search_fields = ["agreement_number", "company_name"]


@admin.register(models.Grant)
class GrantAdmin(ReadOnlyAdmin):
    list_display = ["agreement", "app", "created"]
    exclude = ["token"]


@admin.register(models.Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ["number", "__str__", "agreement", "last_updated"]
    list_filter = ["agreement"]
    search_fields = ["data__name", "data__email"]


@admin.register(models.RequestLogEntry)
class RequestLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["created", "agreement", "method", "path", "status", "fault", "duration_ms"]
    list_filter = ["status", "method"]


@admin.register(models.Faults)
class FaultsAdmin(ReadOnlyAdmin):
    list_display = [
        "agreement",
        "latency_seconds",
        "throttle_count",
        "bare_throttle_count",
        "bare_throttle_rate",
        "error_count",
        "drop_after_commit_count",
        "paging_cap_items",
    ]


for model in (models.PaymentTerm, models.CustomerGroup, models.VatZone, models.Currency, models.Layout):
    admin.site.register(model, ReadOnlyAdmin)
