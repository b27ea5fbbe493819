from django.urls import path, re_path

from . import views

app_name = "sandbox_economic"

_LISTS = "payment-terms|customer-groups|vat-zones|currencies|layouts"

urlpatterns = [
    path("self", views.self_info, name="self"),
    path("customers", views.customers, name="customers"),
    path("customers/<int:number>", views.customer, name="customer"),
    re_path(rf"^(?P<kind>{_LISTS})$", views.list_collection, name="list"),
    re_path(rf"^(?P<kind>{_LISTS})/(?P<key>[^/]+)$", views.list_item, name="list-item"),
    path("requestaccess.aspx", views.request_access, name="requestaccess"),
    path("_control/faults", views.control_faults, name="control-faults"),
    path("_control/requests", views.control_requests, name="control-requests"),
    path("_control/customers/<int:number>", views.control_customer_edit, name="control-customer-edit"),
    path("_control/webhook", views.control_webhook, name="control-webhook"),
]
