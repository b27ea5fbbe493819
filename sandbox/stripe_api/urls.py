from django.urls import path

from . import oauth, views

urlpatterns = [
    path("v1/customers", views.customers),
    path("v1/customers/<str:customer_id>", views.customer),
    path("v1/webhook_endpoints", views.webhook_endpoints),
    path("v1/webhook_endpoints/<str:endpoint_id>", views.webhook_endpoint),
    path("v1/events", views.events),
    path("v1/events/<str:event_id>", views.event),
    path("v1/oauth/token", views.oauth_token),
    path("v1/<path:rest>", views.unknown),
    # Stripe's other hosts, under the emulator's address: the install link and Connect's revoke.
    path("oauth/v2/authorize", oauth.authorize, name="sandbox_stripe_authorize"),
    path("oauth/deauthorize", views.oauth_deauthorize),
    path("_control/apps/uninstall", views.control_app_uninstall),
    path("_control/delivery", views.delivery_switches),
    path("_control/release_held", views.release_held),
    path("_control/faults", views.control_faults),
    path("_control/keys", views.control_keys),
    path("_sink/<str:name>/", views.sink, name="sandbox_stripe_sink"),
]
