from django.contrib import admin

from .models import Account, ApiKey, Customer, Delivery, Event, RequestLog, SinkRequest, WebhookEndpoint


class ReadOnlyAdmin(admin.ModelAdmin):
    """The emulator's state is changed through its API; the admin is for looking."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = [
        "stripe_id",
        "name",
        "delivery_duplicates",
        "delivery_reorder_batch",
        "delivery_delay_seconds",
    ]


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    # The key is shown masked (its __str__), as in Stripe's Dashboard.
    list_display = ["__str__", "account"]
    fields = ["account"]


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ["stripe_id", "email", "account", "livemode", "deleted", "created"]
    list_filter = ["livemode", "deleted"]
    search_fields = ["stripe_id", "email"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ["stripe_id", "url", "account", "status"]
    exclude = ["secret"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["stripe_id", "type", "account", "created", "held"]
    list_filter = ["type"]
    search_fields = ["stripe_id"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["event", "url", "status_code", "error", "created"]


@admin.register(RequestLog)
class RequestLogAdmin(ReadOnlyAdmin):
    list_display = ["created", "method", "path", "status", "account", "replayed"]
    list_filter = ["method", "status"]


@admin.register(SinkRequest)
class SinkRequestAdmin(ReadOnlyAdmin):
    list_display = ["name", "created"]
