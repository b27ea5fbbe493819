from django.contrib import admin, messages

from .models import CustomerLink, ImportRun, StripeEvent, SyncRecord
from .services import event_replay, sync_retry


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = [
        "stripe_event_id",
        "tenant",
        "type",
        "status",
        "stripe_customer_id",
        "attempts",
        "received",
    ]
    list_filter = ["status", "type", "tenant"]
    search_fields = ["stripe_event_id", "stripe_customer_id", "tenant__slug"]
    readonly_fields = [f.name for f in StripeEvent._meta.fields]
    actions = ["replay_events"]

    @admin.action(description="Replay event (process it again)")
    def replay_events(self, request, queryset):
        for event in queryset:
            event_replay(tenant=event.tenant, event_id=event.pk)
        self.message_user(request, f"{queryset.count()} event(s) queued again.", messages.SUCCESS)


@admin.register(SyncRecord)
class SyncRecordAdmin(admin.ModelAdmin):
    list_display = [
        "created",
        "tenant",
        "stripe_customer_id",
        "stripe_email",
        "action",
        "economic_customer_number",
        "dry_run",
        "duration_ms",
    ]
    list_filter = ["action", "dry_run", "tenant"]
    search_fields = ["stripe_customer_id", "stripe_email", "economic_log_id", "tenant__slug"]
    readonly_fields = [f.name for f in SyncRecord._meta.fields]
    actions = ["retry_syncs"]

    @admin.action(description="Retry sync of these customers")
    def retry_syncs(self, request, queryset):
        pairs = {(record.tenant, record.stripe_customer_id) for record in queryset.select_related("tenant")}
        for tenant, customer_id in pairs:
            sync_retry(tenant=tenant, stripe_customer_id=customer_id)
        self.message_user(request, f"{len(pairs)} customer sync(s) queued.", messages.SUCCESS)


@admin.register(CustomerLink)
class CustomerLinkAdmin(admin.ModelAdmin):
    list_display = ["stripe_customer_id", "tenant", "economic_customer_number", "created_by_us", "updated"]
    list_filter = ["created_by_us", "tenant"]
    search_fields = ["stripe_customer_id", "economic_customer_number", "tenant__slug"]
    readonly_fields = [f.name for f in CustomerLink._meta.fields]


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ["created", "tenant", "status", "customers_seen", "started_by"]
    list_filter = ["status", "tenant"]
    readonly_fields = [f.name for f in ImportRun._meta.fields]
