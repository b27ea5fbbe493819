"""Staff "view as merchant": a staff member sees a merchant's pages as a viewer would, read-only.

A small equivalent of django-hijack kept to what support needs: the staff member stays signed in
as themselves (no one else's session is borrowed), the session remembers which tenant is being
viewed, `tenant_view` lets them in as a read-only member of that tenant only, every page shows a
banner, a middleware refuses every write while viewing, and each session is an audit line
(`ViewAsSession`: who, which merchant, started, ended). It takes the `syncapp.view_as_tenant`
permission (the "Support" group has it), asked again on every request.
"""

from django.contrib import admin
from django.contrib.auth.signals import user_logged_out
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from .models import Tenant, ViewAsSession
from .staff import VIEW_AS

SESSION_KEY = "view_as_session"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def view_as_start(*, staff, tenant: Tenant) -> ViewAsSession:
    email = staff.email or staff.get_username()
    return ViewAsSession.objects.create(staff=staff, staff_email=email, tenant=tenant)


def view_as_end(*, session_id: int) -> None:
    ViewAsSession.objects.filter(pk=session_id, ended__isnull=True).update(ended=timezone.now())


def viewing(request: HttpRequest) -> ViewAsSession | None:
    """The view-as session this request belongs to, if its staff member is still the one signed in."""
    if not hasattr(request, "_view_as"):
        request._view_as = None
        session_id = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        user = getattr(request, "user", None)
        # The permission is asked on every request: taking it away ends the viewing at once.
        if session_id and user is not None and user.is_staff and user.has_perm(VIEW_AS):
            request._view_as = (
                ViewAsSession.objects.select_related("tenant")
                .filter(pk=session_id, staff=user, ended__isnull=True)
                .first()
            )
    return request._view_as


class ViewAsMiddleware:
    """While viewing, only reading is allowed: any other method gets a 403 page saying why, except
    stopping the view and signing out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Read here once: `tenant_view` and the banner use it (no query without a view-as session).
        request.view_as = viewing(request)
        if request.method not in SAFE_METHODS and request.view_as is not None:
            if request.path not in (reverse("view_as_stop"), reverse("logout")):
                return render(request, "syncapp/view_as_refused.html", status=403)
        return self.get_response(request)


def banner(request) -> dict:
    return {"view_as": getattr(request, "view_as", None)}


@require_POST
def start(request, tenant_id: int):
    if not request.user.has_perm(VIEW_AS):
        raise PermissionDenied("Viewing a merchant's pages takes the “view as merchant” permission.")
    tenant = get_object_or_404(Tenant, pk=tenant_id)
    current = viewing(request)
    if current is not None:
        view_as_end(session_id=current.pk)
    request.session[SESSION_KEY] = view_as_start(staff=request.user, tenant=tenant).pk
    return redirect("dashboard", slug=tenant.slug)


@require_POST
def stop(request):
    session_id = request.session.pop(SESSION_KEY, None)
    if session_id:
        view_as_end(session_id=session_id)
    return redirect("admin:index")


# Only staff who passed the admin's sign-in (second factor included) may start viewing.
start_view = admin.site.admin_view(start)
stop_view = admin.site.admin_view(stop)


@receiver(user_logged_out)
def _end_on_logout(sender, request, user, **kwargs):
    session_id = request.session.get(SESSION_KEY) if request is not None else None
    if session_id:
        view_as_end(session_id=session_id)
