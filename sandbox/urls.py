from django.urls import include, path

from . import outside_views

urlpatterns = [
    # Where `make run` points STRIPE_DASHBOARD_URL and ECONOMIC_WEB_URL (the sync log's links).
    path("stripe/dashboard/<path:rest>", outside_views.stripe_dashboard, name="sandbox_stripe_dashboard"),
    path(
        "economic/web/sales/customers/<int:number>",
        outside_views.economic_customer,
        name="sandbox_economic_web",
    ),
    path("economic/", include("sandbox.economic_api.urls")),
    path("stripe/", include("sandbox.stripe_api.urls")),
]
