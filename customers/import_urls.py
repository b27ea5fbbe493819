from django.urls import path

from . import views

urlpatterns = [
    path("", views.import_page, name="import"),
    path("start/", views.import_begin, name="import_start"),
]
