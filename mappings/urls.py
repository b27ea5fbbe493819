from django.urls import path

from . import views

app_name = "mappings"

urlpatterns = [
    path("", views.matching, name="matching"),
    path("number/", views.number, name="number"),
    path("defaults/", views.defaults, name="defaults"),
    path("defaults/account/<int:account_id>/", views.defaults_account, name="defaults_account"),
    path("fields/", views.field_mappings, name="field_mappings"),
    path("preview/", views.preview, name="preview"),
    path("transfer/", views.transfer, name="transfer"),
    path("export.json", views.export, name="export"),
    path("history/", views.history, name="history"),
]
