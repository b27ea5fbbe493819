from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import account, view_as, views
from .forms import EmailAuthenticationForm
from .metrics import metrics_view

tenant_patterns = [
    path("", views.dashboard, name="dashboard"),
    path("settings/", include("mappings.urls")),
    path("connections/", include("syncapp.connections.urls")),
    path("account/", account.account, name="account"),
    path("account/export/", account.account_export, name="account_export"),
    path("account/close/", account.account_close, name="account_close"),
    path("account/close/cancel/", account.account_close_cancel, name="account_close_cancel"),
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
    path("metrics", metrics_view, name="metrics"),
    path("admin/view-as/stop/", view_as.stop_view, name="view_as_stop"),
    path("admin/view-as/<int:tenant_id>/", view_as.start_view, name="view_as_start"),
    path("admin/", admin.site.urls),
    path("t/<slug:slug>/", include(tenant_patterns)),
    path("", include("customers.urls")),
]

if settings.SANDBOX_ENABLED:
    # The emulators are wired in here only; product code reaches them over HTTP.
    urlpatterns.append(path("sandbox/", include("sandbox.urls")))
