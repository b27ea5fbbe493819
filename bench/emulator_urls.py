"""The emulators' API routes at the same paths as in the product's urlconf (the e-conomic emulator
builds its `self` links from them), and the liveness probe the bench waits on; none of the
product's pages, nor the sandbox's stand-ins for the Stripe Dashboard and e-conomic's web app."""

from django.urls import include, path

from syncapp import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("sandbox/economic/", include("sandbox.economic_api.urls")),
    path("sandbox/stripe/", include("sandbox.stripe_api.urls")),
]
