"""The Connections page: connect, check and disconnect e-conomic and Stripe. Viewers only read."""

import secrets

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from syncapp.crypto import masked
from syncapp.models import ConnectionStatus, Tenant
from syncapp.tenancy import tenant_view

from . import economic as economic_services
from . import stripe as stripe_services
from .common import Credential, CredentialRefused, Service
from .forms import StripeConnectForm
from .selectors import connection_for, stripe_webhook_url

# The e-conomic grant in flight, per tenant: its callback must come back to the browser session
# that started it, so a grant token planted in someone's link cannot connect a foreign agreement.
_GRANT_STATE_KEY = "economic_grant_state:{}"
# What a restricted key needs, shown beside the key field.
STRIPE_PERMISSIONS = [
    ("Customers", "Write", "to read customers and write the e-conomic number back"),
    ("Webhook Endpoints", "Write", "to register the address Stripe sends customer changes to"),
    ("Events", "Read", "to fetch changes Stripe could not deliver"),
]


HIDDEN_FROM_SUPPORT = "hidden while support views as the merchant"


def _page_context(tenant: Tenant, *, hide_secrets: bool = False) -> dict:
    economic = connection_for(tenant=tenant, service=Service.ECONOMIC)
    stripe = connection_for(tenant=tenant, service=Service.STRIPE)
    # Staff viewing as the merchant (syncapp/view_as.py) see not even the last four characters.
    mask = (lambda secret: HIDDEN_FROM_SUPPORT if secret else "") if hide_secrets else masked
    return {
        "economic": economic,
        "economic_status": economic.status if economic else ConnectionStatus.NOT_CONNECTED,
        "economic_token_masked": mask(economic.grant_token) if economic else "",
        "stripe": stripe,
        "stripe_status": stripe.status if stripe else ConnectionStatus.NOT_CONNECTED,
        "stripe_key_masked": mask(stripe.api_key) if stripe else "",
        "stripe_secret_masked": mask(stripe.webhook_secret) if stripe else "",
        "webhook_url": stripe_webhook_url(tenant),
    }


def connections_panel(tenant: Tenant) -> dict:
    """The dashboard card: one status badge per service."""
    return {"template": "syncapp/panels/connections.html", **_page_context(tenant)}


@sensitive_post_parameters("api_key", "webhook_secret")
@never_cache
@tenant_view
def connections(request):
    form = StripeConnectForm()
    if request.method == "POST":
        form = StripeConnectForm(request.POST)
        if form.is_valid():
            try:
                connection = stripe_services.stripe_connect(tenant=request.tenant, **form.cleaned_data)
            except CredentialRefused as exc:
                form.add_error(
                    "webhook_secret" if exc.credential == Credential.STRIPE_WEBHOOK_SECRET else "api_key",
                    exc.message,
                )
            else:
                mode = "live" if connection.livemode else "test"
                messages.success(request, f"Stripe is connected ({mode} mode).")
                return redirect("connections", slug=request.tenant.slug)
    return render(
        request,
        "syncapp/connections.html",
        {
            **_page_context(request.tenant, hide_secrets=getattr(request, "view_as", None) is not None),
            "stripe_form": form,
            "permissions": STRIPE_PERMISSIONS,
        },
    )


@tenant_view(edit=True)
@require_POST
def economic_connect(request):
    state = secrets.token_urlsafe(24)
    request.session[_GRANT_STATE_KEY.format(request.tenant.pk)] = state
    return redirect(economic_services.economic_grant_url(tenant=request.tenant, state=state))


@never_cache
@tenant_view(edit=True)
@require_GET
def economic_callback(request, state):
    expected = request.session.pop(_GRANT_STATE_KEY.format(request.tenant.pk), "")
    token = request.GET.get("token", "")
    if not expected or not secrets.compare_digest(expected, state):
        messages.error(
            request,
            "This e-conomic approval was not started from this browser, so it was ignored and nothing "
            "was saved. Click “Connect e-conomic” to start again.",
        )
    else:
        try:
            connection = economic_services.economic_connect(tenant=request.tenant, grant_token=token)
        except CredentialRefused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                f"e-conomic is connected: agreement {connection.agreement_number} {connection.company_name}.",
            )
    # Redirect at once so the grant token leaves the address bar and the browser history.
    return redirect("connections", slug=request.tenant.slug)


@tenant_view(edit=True)
@require_POST
def economic_disconnect(request):
    economic_services.economic_disconnect(tenant=request.tenant)
    messages.success(request, "e-conomic is disconnected; its access grant was forgotten.")
    return redirect("connections", slug=request.tenant.slug)


@tenant_view(edit=True)
@require_POST
def stripe_disconnect(request):
    if stripe_services.stripe_disconnect(tenant=request.tenant):
        messages.success(
            request, "Stripe is disconnected; the key, signing secrets and our webhook endpoint are gone."
        )
    else:
        messages.warning(
            request,
            "Stripe is disconnected and the key and signing secrets were forgotten, but Stripe did "
            "not let us delete our webhook endpoint: delete it in your Stripe Dashboard.",
        )
    return redirect("connections", slug=request.tenant.slug)


@tenant_view(edit=True)
@require_POST
def connections_check(request):
    economic = economic_services.economic_check(tenant=request.tenant)
    stripe = stripe_services.stripe_check(tenant=request.tenant)
    checked = [c for c in (economic, stripe) if c is not None and c.status != ConnectionStatus.NOT_CONNECTED]
    if not checked:
        messages.info(request, "Nothing is connected yet.")
    elif all(c.status == ConnectionStatus.CONNECTED for c in checked):
        messages.success(request, "Every connection answered.")
    else:
        messages.error(request, "A connection is failing: see the reason below.")
    return redirect("connections", slug=request.tenant.slug)
