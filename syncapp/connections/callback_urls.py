"""The one address outside `/t/<slug>/`: Stripe's redirect URI, registered once in our app's
manifest for every merchant (the state names the tenant)."""

from django.urls import path

from . import views

urlpatterns = [
    path("stripe/callback/", views.stripe_app_callback, name="stripe_app_callback"),
]
