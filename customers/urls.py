"""Every route of the customer sync: Stripe's webhook, and the merchant's sync log and import."""

from django.urls import path

from . import economic_notifications, log_views, views, webhooks

urlpatterns = [
    # Before the per-account route, whose endpoint ids are random and never "connect".
    path("webhooks/stripe/connect/", webhooks.stripe_connect_webhook, name="stripe_connect_webhook"),
    path("webhooks/stripe/<str:endpoint_id>/", webhooks.stripe_webhook, name="stripe_webhook"),
    # e-conomic fills in [NEWNUMBER] and [OLDNUMBER]; they are read by nobody (a hint, not data).
    path(
        "webhooks/economic/<str:notification_id>/<str:new_number>/<str:old_number>/",
        economic_notifications.economic_notification,
        name="economic_notification",
    ),
    path("t/<slug:slug>/sync/", views.sync_log, name="sync_log"),
    path("t/<slug:slug>/sync/<int:record_id>/retry/", views.sync_log_retry, name="sync_retry"),
    path("t/<slug:slug>/sync/<int:record_id>/", log_views.sync_record, name="sync_record"),
    path("t/<slug:slug>/sync/failures/", log_views.sync_failures, name="sync_failures"),
    path("t/<slug:slug>/sync/failures/retry/", log_views.sync_retry_kind, name="sync_retry_kind"),
    path("t/<slug:slug>/events/", log_views.events, name="events"),
    path("t/<slug:slug>/events/<int:event_id>/replay/", log_views.event_replay_view, name="event_replay"),
    path("t/<slug:slug>/import/", views.import_page, name="import"),
    path("t/<slug:slug>/import/start/", views.import_begin, name="import_start"),
    path("t/<slug:slug>/import/<int:run_id>/cancel/", views.import_stop, name="import_cancel"),
    path("t/<slug:slug>/import/<int:run_id>/", views.import_report, name="import_report"),
    path("t/<slug:slug>/import/<int:run_id>/report.csv", views.import_report_csv, name="import_report_csv"),
]
