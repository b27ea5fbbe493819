from django.urls import include, path

urlpatterns = [
    path("economic/", include("sandbox.economic_api.urls")),
    path("stripe/", include("sandbox.stripe_api.urls")),
]
