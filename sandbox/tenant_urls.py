"""A tenant's sandbox pages, wired in by `syncapp/urls.py` only when SANDBOX_ENABLED."""

from django.urls import path

from . import tenant_views

urlpatterns = [
    path("", tenant_views.console, name="sandbox_console"),
    path("account/", tenant_views.account_create, name="sandbox_account"),
    path("customers/", tenant_views.customer_create, name="sandbox_customer_create"),
    path(
        "economic-customers/", tenant_views.economic_customer_create, name="sandbox_economic_customer_create"
    ),
    path("customers/<str:customer_id>/", tenant_views.customer_change, name="sandbox_customer_change"),
    path("customers/<str:customer_id>/delete/", tenant_views.customer_remove, name="sandbox_customer_delete"),
]
