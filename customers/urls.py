from django.urls import path

from . import webhooks

urlpatterns = [
    path("webhooks/stripe/<str:endpoint_id>/", webhooks.stripe_webhook, name="stripe_webhook"),
]
