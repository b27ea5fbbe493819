"""The sync engine's records in the admin: support reads them and acts through a few confirmed,
logged actions; nobody adds, edits or deletes them by hand (they are the system's own account of
what happened)."""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.models import DELETION
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from customers.models import CustomerLink, ImportRun, StripeEvent, SyncRecord
from customers.services import event_replay, sync_retry
from customers.services.imports import ACTIVE as ACTIVE_IMPORTS
from customers.services.imports import ImportAlreadyRunning, import_cancel, import_resume
from syncapp.admin_records import RecordAdmin, pretty_json
from syncapp.numbers import whole_number
from syncapp.staff import may

from . import admin_tenants  # noqa: F401  (re-registers Tenant with the support console)
from .admin_support import confirmed_reason, log_support_action


def economic_customer_url(number: int) -> str:
    """The customer's `self` URL in e-conomic's REST API (the web app's deep link is not known)."""
    return f"{settings.ECONOMIC_API_URL}/customers/{number}"


def _changelist(model, **filters) -> str:
    query = "&".join(f"{name}={value}" for name, value in filters.items())
    return f"{reverse(f'admin:customers_{model._meta.model_name}_changelist')}?{query}"


class SearchByEconomicNumber:
    """A search term of digits also finds rows by e-conomic customer number (an integer field)."""

    def get_search_results(self, request, queryset, search_term):
        results, duplicates = super().get_search_results(request, queryset, search_term)
        number = whole_number(search_term)
        if number is not None:
            results |= queryset.filter(economic_customer_number=number)
        return results, duplicates


class SupportRecordAdmin(RecordAdmin):
    """Read-only for everyone, superusers included; each action needs its own permission
    (`permissions=["replay"]` asks `has_replay_permission`: the model's `replay_...` permission)."""

    list_select_related = ["tenant"]


@admin.register(StripeEvent)
class StripeEventAdmin(SupportRecordAdmin):
    list_display = [
        "stripe_event_id",
        "tenant",
        "type",
        "status",
        "stripe_customer_id",
        "stripe_email",
        "attempts",
        "received",
    ]
    list_filter = ["status", "type", "tenant"]
    search_fields = ["=stripe_event_id", "=stripe_customer_id", "stripe_email", "tenant__slug"]
    # The English `last_error` is the support console's; its facts are the merchant's pages'.
    fields = [f.name for f in StripeEvent._meta.fields if f.name not in ("payload", "error_facts")] + [
        "records",
        "payload_pretty",
    ]
    readonly_fields = fields
    actions = ["replay_events"]

    def has_replay_permission(self, request):
        return may(request.user, StripeEvent, "replay")

    @admin.display(description="Payload")
    def payload_pretty(self, obj):
        return pretty_json(obj.payload)

    @admin.display(description="Sync records")
    def records(self, obj):
        return format_html('<a href="{}">Records of this event</a>', _changelist(SyncRecord, event=obj.pk))

    @admin.action(description="Replay events (process them again)", permissions=["replay"])
    def replay_events(self, request, queryset):
        reason = confirmed_reason(
            self, request, queryset, title="Replay events", consequence="event(s) will be processed again."
        )
        if not isinstance(reason, str):
            return reason
        events = list(queryset.select_related("tenant"))
        for event in events:
            event_replay(tenant=event.tenant, event_id=event.pk)
        log_support_action(request, events, f"Replayed by support. Reason: {reason}")
        self.message_user(request, f"{len(events)} event(s) queued again.", messages.SUCCESS)
        return None


@admin.register(SyncRecord)
class SyncRecordAdmin(SearchByEconomicNumber, SupportRecordAdmin):
    list_display = [
        "created",
        "tenant",
        "stripe_customer_id",
        "stripe_email",
        "action",
        "economic_number",
        "economic_log_id",
        "dry_run",
        "duration_ms",
    ]
    list_filter = ["action", "dry_run", "tenant"]
    search_fields = ["=stripe_customer_id", "stripe_email", "=economic_log_id", "tenant__slug"]
    fields = [
        "created",
        "tenant",
        "action",
        "message",
        "stripe_customer_id",
        "stripe_email",
        "economic_number",
        "economic_log_id",
        "event_link",
        "customer_link",
        "warnings_english",
        "payload_pretty",
        "dry_run",
        "duration_ms",
    ]
    readonly_fields = fields
    actions = ["retry_syncs"]

    def has_retry_permission(self, request):
        return may(request.user, SyncRecord, "retry")

    @admin.display(description="e-conomic customer", ordering="economic_customer_number")
    def economic_number(self, obj):
        if obj.economic_customer_number is None:
            return "—"
        return format_html(
            '<a href="{}" title="The customer in e-conomic\'s REST API" rel="noopener">{}</a>',
            economic_customer_url(obj.economic_customer_number),
            obj.economic_customer_number,
        )

    @admin.display(description="Event")
    def event_link(self, obj):
        if obj.event_id is None:
            return "— (an import, a retry or a preview)"
        return format_html(
            '<a href="{}">Event {}</a>',
            reverse("admin:customers_stripeevent_change", args=[obj.event_id]),
            obj.event_id,
        )

    @admin.display(description="Customer link")
    def customer_link(self, obj):
        link = (
            CustomerLink.objects.for_tenant(obj.tenant_id)
            .filter(stripe_customer_id=obj.stripe_customer_id)
            .first()
        )
        if link is None:
            return "— (not linked)"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:customers_customerlink_change", args=[link.pk]), link
        )

    @admin.display(description="Warnings")
    def warnings_english(self, obj):
        return format_html_join("", "<div>{}</div>", ((text,) for text in obj.warnings_in_english)) or "—"

    @admin.display(description="Payload sent (or previewed)")
    def payload_pretty(self, obj):
        return pretty_json(obj.payload) if obj.payload is not None else "—"

    @admin.action(description="Retry sync of these customers", permissions=["retry"])
    def retry_syncs(self, request, queryset):
        records = list(queryset.select_related("tenant"))
        pairs = {(record.tenant, record.stripe_customer_id): record.stripe_account_id for record in records}
        for (tenant, customer_id), account_id in pairs.items():
            sync_retry(tenant=tenant, stripe_customer_id=customer_id, stripe_account_id=account_id)
        log_support_action(request, records, "Sync of this customer retried by support.")
        self.message_user(request, f"{len(pairs)} customer sync(s) queued.", messages.SUCCESS)


@admin.register(CustomerLink)
class CustomerLinkAdmin(SearchByEconomicNumber, SupportRecordAdmin):
    list_display = ["stripe_customer_id", "tenant", "economic_customer_number", "created_by_us", "updated"]
    list_filter = ["created_by_us", "tenant"]
    search_fields = ["=stripe_customer_id", "tenant__slug"]
    fields = [f.name for f in CustomerLink._meta.fields] + ["records"]
    readonly_fields = fields
    actions = ["unlink"]

    def has_unlink_permission(self, request):
        return may(request.user, CustomerLink, "unlink")

    @admin.display(description="Sync records")
    def records(self, obj):
        return format_html(
            '<a href="{}">Records of this customer</a>',
            _changelist(SyncRecord, tenant=obj.tenant_id, stripe_customer_id=obj.stripe_customer_id),
        )

    @admin.action(description="Unlink (the next sync matches or creates again)", permissions=["unlink"])
    def unlink(self, request, queryset):
        reason = confirmed_reason(
            self,
            request,
            queryset,
            title="Unlink customers",
            consequence="link(s) will be removed: the next sync of each customer searches e-conomic "
            "with the match rules again (nothing is changed in e-conomic or Stripe).",
        )
        if not isinstance(reason, str):
            return reason
        links = list(queryset)
        log_support_action(request, links, f"Unlinked by support. Reason: {reason}", flag=DELETION)
        CustomerLink.all_tenants.filter(pk__in=[link.pk for link in links]).delete()
        self.message_user(request, f"{len(links)} link(s) removed.", messages.SUCCESS)
        return None


@admin.register(ImportRun)
class ImportRunAdmin(SupportRecordAdmin):
    list_display = ["created", "tenant", "status", "customers_seen", "started_by", "finished"]
    list_filter = ["status", "tenant"]
    fields = [f.name for f in ImportRun._meta.fields]
    readonly_fields = fields
    actions = ["cancel_imports", "resume_imports"]

    def has_cancel_permission(self, request):
        return may(request.user, ImportRun, "cancel")

    def has_resume_permission(self, request):
        return may(request.user, ImportRun, "resume")

    @admin.action(description="Cancel (stops at its next progress step)", permissions=["cancel"])
    def cancel_imports(self, request, queryset):
        reason = confirmed_reason(
            self, request, queryset, title="Cancel imports", consequence="import(s) will be cancelled."
        )
        if not isinstance(reason, str):
            return reason
        active = [run for run in queryset.select_related("tenant") if run.status in ACTIVE_IMPORTS]
        cancelled = [import_cancel(tenant=run.tenant, run_id=run.pk, reason=reason) for run in active]
        log_support_action(request, cancelled, f"Import cancelled by support. Reason: {reason}")
        self.message_user(request, f"{len(cancelled)} import(s) cancelled.", messages.SUCCESS)
        return None

    @admin.action(description="Resume (queue a cancelled or failed import again)", permissions=["resume"])
    def resume_imports(self, request, queryset):
        resumed = []
        for run in queryset.select_related("tenant"):
            try:
                resumed.append(import_resume(tenant=run.tenant, run_id=run.pk))
            except ImportAlreadyRunning as exc:
                self.message_user(request, str(exc), messages.WARNING)
        log_support_action(request, resumed, "Import resumed by support.")
        if resumed:
            self.message_user(request, f"{len(resumed)} import(s) queued again.", messages.SUCCESS)
