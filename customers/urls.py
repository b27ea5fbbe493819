"""Every route of the customer sync: Stripe's webhook, and the merchant's sync log and import."""

from django.urls import path

from . import views, webhooks

urlpatterns = [
    path("webhooks/stripe/<str:endpoint_id>/", webhooks.stripe_webhook, name="stripe_webhook"),
    path("t/<slug:slug>/sync/", views.sync_log, name="sync_log"),
    path("t/<slug:slug>/sync/<int:record_id>/retry/", views.sync_log_retry, name="sync_retry"),
    path("t/<slug:slug>/import/", views.import_page, name="import"),
    path("t/<slug:slug>/import/start/", views.import_begin, name="import_start"),
    path("t/<slug:slug>/import/<int:run_id>/cancel/", views.import_stop, name="import_cancel"),
]
