from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import connection_views, views
from .forms import EmailAuthenticationForm

tenant_patterns = [
    path("", views.dashboard, name="dashboard"),
    path("settings/", include("mappings.urls")),
    path("connections/", connection_views.connections, name="connections"),
    path("connections/check/", connection_views.connections_check, name="connections_check"),
    path("connections/economic/connect/", connection_views.economic_connect, name="economic_connect"),
    path(
        "connections/economic/callback/<str:state>/",
        connection_views.economic_callback,
        name="economic_callback",
    ),
    path(
        "connections/economic/disconnect/", connection_views.economic_disconnect, name="economic_disconnect"
    ),
    path("connections/stripe/disconnect/", connection_views.stripe_disconnect, name="stripe_disconnect"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=EmailAuthenticationForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("t/<slug:slug>/", include(tenant_patterns)),
    path("", include("customers.urls")),
]

if settings.SANDBOX_ENABLED:
    # The emulators are wired in here only; product code reaches them over HTTP.
    urlpatterns.append(path("sandbox/", include("sandbox.urls")))
