from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from . import admin_staff  # noqa: F401  (staff accounts, groups and authenticators)
from .admin_records import RecordAdmin
from .crypto import masked
from .models import (
    ConnectionStatus,
    EconomicConnection,
    Membership,
    Role,
    StripeConnection,
    Tenant,
    ViewAsSession,
)
from .staff import MAKE_OWNER

OWNER_REFUSED = (
    "Making someone an owner, changing an owner's membership or joining a merchant yourself takes "
    "the “make owner” permission: ask a superuser."
)


class MembershipForm(forms.ModelForm):
    """An owner can do anything to the merchant, and a member of it is no longer read-only like a
    view-as session: both take an explicit permission (the "Support" group does not have it)."""

    staff_user = None  # the signed-in staff member, set per request by the inline
    may_make_owners = False

    def clean(self):
        cleaned = super().clean()
        touches_owner = Role.OWNER in (cleaned.get("role"), self.initial.get("role"))
        member = cleaned.get("user")
        joins_self = self.staff_user is not None and member is not None and member.pk == self.staff_user.pk
        if self.has_changed() and (touches_owner or joins_self) and not self.may_make_owners:
            raise forms.ValidationError(OWNER_REFUSED)
        return cleaned


class MembershipInline(admin.TabularInline):
    model = Membership
    form = MembershipForm
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "user_email", "role", "created"]
    readonly_fields = ["user_email", "created"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        may = {"staff_user": request.user, "may_make_owners": request.user.has_perm(MAKE_OWNER)}
        formset.form = type("MembershipForm", (formset.form,), may)
        return formset

    @admin.display(description="E-mail")
    def user_email(self, obj):
        return obj.user.email if obj.pk else "—"


class SecretsInline(admin.StackedInline):
    """A connection, masked, and for superusers only: other staff see its health, never its secrets
    (not even masked), and nobody adds or edits one here (the merchant's pages check it first)."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StripeConnectionInline(SecretsInline):
    model = StripeConnection
    # Secrets are never shown: only whether they are set and their last four characters.
    fields = [
        "name",
        "status",
        "last_error",
        "verified_at",
        "livemode",
        "webhook_endpoint_id",
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


class EconomicConnectionInline(SecretsInline):
    model = EconomicConnection
    fields = ["status", "last_error", "verified_at", "agreement_number", "company_name", "grant_token_masked"]
    readonly_fields = fields

    @admin.display(description="Grant token")
    def grant_token_masked(self, obj):
        return masked(obj.grant_token) or "—"


HEALTH_FIELDS = ("status", "last_error", "verified_at")


def connection_state(status: str | None, error: str | None) -> str:
    """Connected / failing with its reason / not connected, in one short phrase."""
    if status == ConnectionStatus.CONNECTED:
        return "Connected"
    if status == ConnectionStatus.FAILING:
        return f"Failing: {error}" if error else "Failing"
    return "Not connected"


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "created"]
    search_fields = ["slug", "name"]
    fields = ["slug", "name", "created", "connections_health"]
    readonly_fields = ["created", "connections_health"]
    inlines = [MembershipInline, StripeConnectionInline, EconomicConnectionInline]

    @admin.display(description="Connections")
    def connections_health(self, obj):
        """Each connection's state, last check and last error: no secret, for every staff member."""
        stripe_accounts = StripeConnection.objects.for_tenant(obj).only("name", *HEALTH_FIELDS).order_by("id")
        rows = [_health_row(f"Stripe “{account.name}”", account) for account in stripe_accounts]
        economic = EconomicConnection.objects.for_tenant(obj).only(*HEALTH_FIELDS).first()
        rows.append(_health_row("e-conomic", economic))
        return format_html(
            '<table data-testid="connections-health"><thead><tr><th>Service</th><th>State</th>'
            "<th>Last successful check</th></tr></thead><tbody>{}</tbody></table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )


def _health_row(label: str, connection) -> tuple[str, str, str]:
    if connection is None:
        return label, connection_state(None, None), "never"
    checked = connection.verified_at
    return (
        label,
        connection_state(connection.status, connection.last_error),
        f"{timezone.localtime(checked):%Y-%m-%d %H:%M}" if checked else "never",
    )


@admin.register(ViewAsSession)
class ViewAsSessionAdmin(RecordAdmin):
    """The audit of who viewed which merchant as the merchant, and when: nobody edits it."""

    list_display = ["started", "ended", "staff_email", "tenant"]
    list_filter = ["tenant"]
    search_fields = ["staff_email", "tenant__slug", "tenant__name"]
    list_select_related = ["tenant"]
