from django.contrib import admin

from .crypto import masked
from .models import EconomicConnection, Membership, StripeConnection, Tenant


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class StripeConnectionInline(admin.StackedInline):
    model = StripeConnection
    extra = 0
    can_delete = False
    # Secrets are never shown: only whether they are set and their last four characters.
    fields = [
        "status",
        "last_error",
        "verified_at",
        "livemode",
        "account_id",
        "webhook_endpoint_stripe_id",
        "api_key_masked",
        "webhook_secret_masked",
    ]
    readonly_fields = fields

    @admin.display(description="API key")
    def api_key_masked(self, obj):
        return masked(obj.api_key) or "—"

    @admin.display(description="Webhook signing secret")
    def webhook_secret_masked(self, obj):
        return masked(obj.webhook_secret) or "—"


class EconomicConnectionInline(admin.StackedInline):
    model = EconomicConnection
    extra = 0
    can_delete = False
    fields = ["status", "last_error", "verified_at", "agreement_number", "company_name", "grant_token_masked"]
    readonly_fields = fields

    @admin.display(description="Grant token")
    def grant_token_masked(self, obj):
        return masked(obj.grant_token) or "—"


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "created"]
    search_fields = ["slug", "name"]
    readonly_fields = ["webhook_endpoint_id", "created"]
    inlines = [MembershipInline, StripeConnectionInline, EconomicConnectionInline]
