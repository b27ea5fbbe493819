"""The support console's tenant list and page: each merchant's health at a glance, one query per
list page (subqueries, no query per row).

Registered from here, not from `syncapp/admin.py`: it reads the sync engine's records and the
settings, which the tenancy core never imports. The core's `TenantAdmin` keeps what is its own
(members, connections masked for superusers only, their health without secrets).
"""

from datetime import timedelta

from django.contrib import admin, messages
from django.db.models import Count, F, IntegerField, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from customers.models import CustomerLink, ImportRun, StripeEvent, SyncRecord
from customers.services import event_replay
from mappings.models import SettingsChange, SyncSettingsDocument
from syncapp.admin import TenantAdmin, connection_state
from syncapp.admin_records import pretty_json
from syncapp.connections.economic import economic_check
from syncapp.connections.selectors import stripe_accounts_for
from syncapp.connections.stripe import stripe_check
from syncapp.models import ConnectionStatus, EconomicConnection, Membership, Role, StripeConnection, Tenant
from syncapp.numbers import INTEGER_MAX, whole_number
from syncapp.staff import may

from .admin_support import confirmed_reason, log_support_action

SUCCESS = [
    SyncRecord.Action.MATCHED,
    SyncRecord.Action.CREATED,
    SyncRecord.Action.UPDATED,
    SyncRecord.Action.UNCHANGED,
]


def _count(queryset) -> Coalesce:
    counted = queryset.filter(tenant=OuterRef("pk")).order_by().values("tenant").annotate(n=Count("pk"))
    return Coalesce(Subquery(counted.values("n"), output_field=IntegerField()), Value(0))


def _first(queryset, field: str) -> Subquery:
    return Subquery(queryset.filter(tenant=OuterRef("pk")).values(field)[:1])


def health_annotations() -> dict:
    """Everything the list shows of a tenant's health, as subqueries on the tenant row."""
    since = timezone.now() - timedelta(hours=24)
    events, records = StripeEvent.all_tenants, SyncRecord.all_tenants.filter(dry_run=False)
    last_success = (
        records.filter(tenant=OuterRef("pk"), action__in=SUCCESS)
        .order_by()
        .values("tenant")
        .annotate(last=Max("created"))
        .values("last")
    )
    owners = Membership.all_tenants.filter(role=Role.OWNER).order_by("created")
    return {
        "stripe_status": Coalesce(
            _first(StripeConnection.all_tenants, "status"), Value(ConnectionStatus.NOT_CONNECTED)
        ),
        "stripe_error": _first(StripeConnection.all_tenants, "last_error"),
        "economic_status": Coalesce(
            _first(EconomicConnection.all_tenants, "status"), Value(ConnectionStatus.NOT_CONNECTED)
        ),
        "economic_error": _first(EconomicConnection.all_tenants, "last_error"),
        "events_pending": _count(events.filter(status=StripeEvent.Status.PENDING)),
        "events_failed": _count(events.filter(status=StripeEvent.Status.FAILED)),
        "failures_24h": _count(records.filter(action=SyncRecord.Action.FAILED, created__gte=since)),
        "last_success": Subquery(last_success),
        "owner_email": _first(owners, "user__email"),
    }


class ConnectionStateFilter(admin.SimpleListFilter):
    field = ""

    def lookups(self, request, model_admin):
        return ConnectionStatus.choices

    def queryset(self, request, queryset):
        return queryset.filter(**{self.field: self.value()}) if self.value() else queryset


class StripeStateFilter(ConnectionStateFilter):
    title, parameter_name, field = "Stripe", "stripe", "stripe_status"


class EconomicStateFilter(ConnectionStateFilter):
    title, parameter_name, field = "e-conomic", "economic", "economic_status"


class TroubleFilter(admin.SimpleListFilter):
    title, parameter_name = "trouble", "trouble"

    def lookups(self, request, model_admin):
        return [("failed", "Failed events"), ("pending", "Pending events"), ("recent", "Failures in 24 h")]

    def queryset(self, request, queryset):
        field = {"failed": "events_failed", "pending": "events_pending", "recent": "failures_24h"}
        if self.value() in field:
            return queryset.filter(**{f"{field[self.value()]}__gt": 0})
        return queryset


def tenants_matching(term: str) -> Q:
    """Tenants a support engineer may mean by a member's or customer's e-mail, a Stripe customer or
    event id, or an e-conomic agreement or customer number."""
    term = term.strip()
    by_term = [
        Membership.all_tenants.filter(user__email__iexact=term),
        StripeEvent.all_tenants.filter(
            Q(stripe_customer_id=term) | Q(stripe_event_id=term) | Q(stripe_email__iexact=term)
        ),
        SyncRecord.all_tenants.filter(Q(stripe_customer_id=term) | Q(stripe_email__iexact=term)),
        CustomerLink.all_tenants.filter(stripe_customer_id=term),
    ]
    agreement_number = whole_number(term, maximum=INTEGER_MAX)
    if agreement_number is not None:
        by_term.append(EconomicConnection.all_tenants.filter(agreement_number=agreement_number))
    match = Q()
    for queryset in by_term:
        match |= Q(pk__in=queryset.values("tenant_id"))
    return match


class SupportTenantAdmin(TenantAdmin):
    list_display = [
        "name",
        "slug",
        "stripe",
        "economic",
        "events_pending",
        "events_failed",
        "failures_24h",
        "last_success",
        "owner_email",
    ]
    list_filter = [StripeStateFilter, EconomicStateFilter, TroubleFilter]
    search_fields = ["slug", "name"]
    search_help_text = (
        "Slug or name, a member's or customer's e-mail, a Stripe customer or event id, "
        "an e-conomic agreement number."
    )
    fields = TenantAdmin.fields + ["records_of", "settings_document"]
    readonly_fields = TenantAdmin.readonly_fields + ["records_of", "settings_document"]
    actions = ["test_connections", "replay_failed_events"]
    change_form_template = "admin/syncapp/tenant/support_change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(**health_annotations())

    def get_search_results(self, request, queryset, search_term):
        results, duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            results |= queryset.filter(tenants_matching(search_term))
        return results, duplicates

    def has_test_connections_permission(self, request):
        return may(request.user, Tenant, "test_connections")

    def has_replay_permission(self, request):
        return may(request.user, StripeEvent, "replay")

    @admin.display(description="Stripe", ordering="stripe_status")
    def stripe(self, obj):
        return connection_state(obj.stripe_status, obj.stripe_error)

    @admin.display(description="e-conomic", ordering="economic_status")
    def economic(self, obj):
        return connection_state(obj.economic_status, obj.economic_error)

    @admin.display(description="Pending", ordering="events_pending")
    def events_pending(self, obj):
        return obj.events_pending

    @admin.display(description="Failed events", ordering="events_failed")
    def events_failed(self, obj):
        return obj.events_failed

    @admin.display(description="Failures 24 h", ordering="failures_24h")
    def failures_24h(self, obj):
        return obj.failures_24h

    @admin.display(description="Last successful sync", ordering=F("last_success").desc(nulls_last=True))
    def last_success(self, obj):
        return obj.last_success or "never"

    @admin.display(description="Owner", ordering="owner_email")
    def owner_email(self, obj):
        return obj.owner_email or "—"

    @admin.display(description="This merchant's records")
    def records_of(self, obj):
        lists = [
            (StripeEvent, "Events"),
            (SyncRecord, "Sync records"),
            (CustomerLink, "Customer links"),
            (ImportRun, "Imports"),
            (SettingsChange, "Settings history"),
        ]
        return format_html_join(
            " · ",
            '<a href="{}">{}</a>',
            ((_tenant_changelist(model, obj), label) for model, label in lists),
        )

    @admin.display(description="Settings document")
    def settings_document(self, obj):
        document = SyncSettingsDocument.objects.for_tenant(obj).first()
        if document is None:
            return "No settings saved: the defaults apply."
        history = _tenant_changelist(SettingsChange, obj)
        return format_html(
            '<a href="{}">History of changes</a> · updated {}<br>{}',
            history,
            f"{timezone.localtime(document.updated):%Y-%m-%d %H:%M}",
            pretty_json(document.document),
        )

    @admin.action(description="Test connections (Stripe and e-conomic)", permissions=["test_connections"])
    def test_connections(self, request, queryset):
        for tenant in queryset:
            checked = [
                (f"Stripe “{account.name}”", stripe_check(connection=account))
                for account in stripe_accounts_for(tenant=tenant)
            ]
            checked.append(("e-conomic", economic_check(tenant=tenant)))
            states = ", ".join(
                f"{label}: {connection_state(c.status, c.last_error) if c else 'Not connected'}"
                for label, c in checked
            )
            log_support_action(request, [tenant], f"Connections tested by support: {states}")
            self.message_user(request, f"{tenant.name}: {states}", messages.INFO)

    @admin.action(description="Replay failed events", permissions=["replay"])
    def replay_failed_events(self, request, queryset):
        failed = StripeEvent.all_tenants.filter(tenant__in=queryset, status=StripeEvent.Status.FAILED)
        reason = confirmed_reason(
            self,
            request,
            queryset,
            title="Replay failed events",
            count=failed.count(),
            consequence=f"failed event(s) of {queryset.count()} merchant(s) will be processed again.",
        )
        if not isinstance(reason, str):
            return reason
        replayed = 0
        for event in failed.select_related("tenant"):
            event_replay(tenant=event.tenant, event_id=event.pk)
            replayed += 1
        message = f"{replayed} failed event(s) replayed by support. Reason: {reason}"
        log_support_action(request, queryset, message)
        self.message_user(request, f"{replayed} failed event(s) queued again.", messages.SUCCESS)
        return None


def _tenant_changelist(model, tenant: Tenant) -> str:
    meta = model._meta
    return f"{reverse(f'admin:{meta.app_label}_{meta.model_name}_changelist')}?tenant__id__exact={tenant.pk}"


admin.site.unregister(Tenant)
admin.site.register(Tenant, SupportTenantAdmin)
