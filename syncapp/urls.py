from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog

from . import access_views, account, member_views, view_as, views
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
    path("members/", member_views.members_page, name="members"),
    path("members/invite/", member_views.member_invite, name="member_invite"),
    path("members/alerts/", member_views.alerts_setting, name="alerts_setting"),
    path("members/<int:member_id>/role/", member_views.member_role, name="member_role"),
    path("members/<int:member_id>/remove/", member_views.member_remove, name="member_remove"),
    path(
        "members/invitations/<int:invitation_id>/revoke/",
        member_views.invitation_revoke,
        name="invitation_revoke",
    ),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("privacy/", views.privacy, name="privacy"),
    path("language/", views.language_switch, name="language_switch"),
    # The tabs' scripts read their sentences from here (djangojs catalogue, docs/i18n.md).
    path("jsi18n/", JavaScriptCatalog.as_view(domain="djangojs"), name="javascript_catalog"),
    # Browsers ask for /favicon.ico whatever a page links (the admin's pages link none).
    path("favicon.ico", RedirectView.as_view(url=f"{settings.STATIC_URL}favicon.svg", permanent=True)),
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=EmailAuthenticationForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", access_views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        access_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"
    ),
    path("verify-email/send/", access_views.email_verification_resend, name="email_verification_resend"),
    path("verify-email/<str:token>/", access_views.email_verify, name="email_verify"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/view-as/stop/", view_as.stop_view, name="view_as_stop"),
    path("admin/view-as/<int:tenant_id>/", view_as.start_view, name="view_as_start"),
    path("invite/<str:token>/", member_views.invitation, name="invitation"),
    path("readyz", views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("connections/", include("syncapp.connections.callback_urls")),
    path("t/<slug:slug>/", include(tenant_patterns)),
    path("", include("customers.urls")),
    path("", include("operations.urls")),
]

if settings.SANDBOX_ENABLED:
    # The emulators are wired in here only; product code reaches them over HTTP.
    urlpatterns.append(path("sandbox/", include("sandbox.urls")))
    # The sandbox's tenant pages (test account, console), reached through the same tenant resolver.
    urlpatterns.append(path("t/<slug:slug>/sandbox/", include("sandbox.tenant_urls")))
