from django.urls import path

from . import views

urlpatterns = [
    path("", views.sync_log, name="sync_log"),
    path("<int:record_id>/retry/", views.sync_log_retry, name="sync_retry"),
]
