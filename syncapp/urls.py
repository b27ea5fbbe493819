from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .forms import EmailAuthenticationForm

tenant_patterns = [
    path("", views.dashboard, name="dashboard"),
    path("settings/", include("mappings.urls")),
    path("connections/", include("syncapp.connections.urls")),
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
    path("readyz", views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("t/<slug:slug>/", include(tenant_patterns)),
    path("", include("customers.urls")),
]

if settings.SANDBOX_ENABLED:
    # The emulators are wired in here only; product code reaches them over HTTP.
    urlpatterns.append(path("sandbox/", include("sandbox.urls")))
