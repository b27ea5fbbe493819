from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from . import health, services
from .dashboard import dashboard_context
from .forms import SignupForm
from .language import LANGUAGE_CODES, SESSION_KEY, member_language_set
from .metrics import metrics_token_given
from .proxies import client_address
from .selectors import memberships_of
from .tenancy import tenant_view
from .verification import email_verification_send


@sensitive_post_parameters("password")
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    if request.method == "POST" and not services.signup_attempt_allowed(
        client_address=client_address(request)
    ):
        response = render(request, "registration/signup_throttled.html", status=429)
        response["Retry-After"] = "3600"
        return response
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, tenant = services.user_signup(**form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            # The browser's language becomes the member's, so e-mails sent later are written in it.
            member_language_set(user=user, language=translation.get_language())
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            email_verification_send(user=user)
            messages.success(
                request,
                _(
                    "Welcome! %(tenant)s is ready: connect Stripe and e-conomic next. We sent a link to "
                    "%(email)s: open it to verify your e-mail before you invite members."
                )
                % {"tenant": tenant.name, "email": user.email},
            )
            return redirect("dashboard", slug=tenant.slug)
    return render(request, "registration/signup.html", {"form": form})


@require_POST
def language_switch(request):
    """The menu's language switch: stored on the member (and in a cookie for a visitor who has not
    logged in), then back to the page it was pressed on."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language not in LANGUAGE_CODES:
        return response
    if request.user.is_authenticated:
        member_language_set(user=request.user, language=language)
        request.session[SESSION_KEY] = language
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=request.is_secure(),
        httponly=True,
    )
    return response


def privacy(request):
    """Our privacy notes (docs/privacy.md as a page), with this deployment's retention periods."""
    return render(
        request,
        "syncapp/privacy.html",
        {
            "event_days": settings.EVENT_PAYLOAD_RETENTION_DAYS,
            "record_months": settings.SYNC_RECORD_RETENTION_MONTHS,
            "record_min_months": settings.SYNC_RECORD_RETENTION_MIN_MONTHS,
            "grace_days": settings.TENANT_DELETION_GRACE_DAYS,
        },
    )


@login_required
def home(request):
    memberships = memberships_of(user=request.user)
    if len(memberships) == 1:
        return redirect("dashboard", slug=memberships[0].tenant.slug)
    return render(request, "syncapp/choose_tenant.html", {"memberships": memberships})


@tenant_view
def dashboard(request):
    return render(request, "syncapp/dashboard.html", dashboard_context(request.tenant))


@never_cache
@require_GET
def healthz(request):
    """Liveness: the process and its database; never the broker (see health.py)."""
    database = health.database_status()
    healthy = database == "ok"
    return JsonResponse(
        {"status": "ok" if healthy else "error", "database": database}, status=200 if healthy else 503
    )


@never_cache
@require_GET
def readyz(request):
    """Status of what is behind this node: 200 whenever it can serve, degraded or not. The details
    (backlog, errors, the broker) only to the monitor holding METRICS_TOKEN; others get the status."""
    report = health.readiness()
    status = 200 if report["database"] == "ok" else 503
    if not metrics_token_given(request):
        return JsonResponse({"status": report["status"]}, status=status)
    return JsonResponse(report, status=status)
