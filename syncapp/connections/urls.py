"""The Connections pages, under `/t/<slug>/connections/`."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.connections, name="connections"),
    path("check/", views.connections_check, name="connections_check"),
    path("economic/connect/", views.economic_connect, name="economic_connect"),
    path("economic/callback/<str:state>/", views.economic_callback, name="economic_callback"),
    path("economic/disconnect/", views.economic_disconnect, name="economic_disconnect"),
    path("stripe/<int:account_id>/disconnect/", views.stripe_disconnect, name="stripe_disconnect"),
    path("stripe/app/connect/", views.stripe_app_connect, name="stripe_app_connect"),
]
