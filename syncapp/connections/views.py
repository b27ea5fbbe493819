"""The Connections page: connect, check and disconnect e-conomic and Stripe. Viewers only read."""

import secrets
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from syncapp.crypto import masked
from syncapp.models import ConnectionStatus, StripeConnection, Tenant
from syncapp.tenancy import tenant_view

from . import economic as economic_services
from . import stripe as stripe_services
from . import stripe_app as stripe_app_services
from .common import Credential, CredentialRefused, Service
from .forms import StripeAccountAddForm, StripeConnectForm
from .selectors import (
    connection_for,
    economic_notification_url,
    stripe_account_first,
    stripe_accounts_for,
    stripe_webhook_url,
)

# The e-conomic grant in flight, per tenant: its callback must come back to the browser session
# that started it, so a grant token planted in someone's link cannot connect a foreign agreement.
_GRANT_STATE_KEY = "economic_grant_state:{}"
# What a restricted key needs, shown beside the key field: the resources and levels in Stripe's own
# words (as its Dashboard shows them), why in the reader's.
STRIPE_PERMISSIONS = [
    ("Customers", "Write", gettext_lazy("to read customers and write the e-conomic number back")),
    ("Webhook Endpoints", "Write", gettext_lazy("to register the address Stripe sends customer changes to")),
    ("Events", "Read", gettext_lazy("to fetch changes Stripe could not deliver")),
]


HIDDEN_FROM_SUPPORT = "hidden while support views as the merchant"
ACCOUNT_ID = forms.IntegerField(required=False, min_value=1, max_value=2**53)


@dataclass
class StripeAccountCard:
    """One Stripe account as the page shows it: its facts (secrets masked) and its key form."""

    account: StripeConnection
    key_masked: str
    secret_masked: str
    webhook_url: str
    form: StripeConnectForm


def _page_context(tenant: Tenant, *, hide_secrets: bool = False, forms: dict | None = None) -> dict:
    economic = connection_for(tenant=tenant, service=Service.ECONOMIC)
    accounts = stripe_accounts_for(tenant=tenant) or [stripe_account_first(tenant=tenant)]
    # Staff viewing as the merchant (syncapp/view_as.py) see not even the last four characters.
    mask = (lambda secret: HIDDEN_FROM_SUPPORT if secret else "") if hide_secrets else masked
    forms = forms or {}
    cards = [
        StripeAccountCard(
            account=account,
            key_masked=mask(account.api_key),
            secret_masked=mask(account.webhook_secret),
            webhook_url=stripe_webhook_url(account),
            form=forms.get(account.pk)
            or StripeConnectForm(initial={"account": account.pk}, auto_id=_ids_of(account.pk)),
        )
        for account in accounts
    ]
    first = accounts[0]
    return {
        "economic": economic,
        "economic_status": economic.status if economic else ConnectionStatus.NOT_CONNECTED,
        "economic_token_masked": mask(economic.grant_token) if economic else "",
        "economic_notification_url": economic_notification_url(economic)
        if economic and economic.status != ConnectionStatus.NOT_CONNECTED and not hide_secrets
        else "",
        "stripe_cards": cards,
        "several_stripe_accounts": len(cards) > 1,
        # The dashboard card's summary: connected when every account is, failing when one fails.
        "stripe": first,
        "stripe_status": _overall_status([account.status for account in accounts]),
        "stripe_failing": [account for account in accounts if account.status == ConnectionStatus.FAILING],
        "stripe_oauth_enabled": settings.STRIPE_OAUTH_ENABLED,
    }


def _overall_status(statuses: list[str]) -> str:
    if ConnectionStatus.REVOKED in statuses:
        return ConnectionStatus.REVOKED
    if ConnectionStatus.FAILING in statuses:
        return ConnectionStatus.FAILING
    return statuses[0]


def connections_panel(tenant: Tenant) -> dict:
    """The dashboard card: one status badge per service."""
    return {"template": "syncapp/panels/connections.html", **_page_context(tenant)}


@sensitive_post_parameters("api_key", "webhook_secret")
@never_cache
@tenant_view
def connections(request):
    """The page; a POST connects (or re-keys) one of the tenant's Stripe accounts."""
    forms, add_form = {}, StripeAccountAddForm(auto_id=_ids_of("add"))
    if request.method == "POST":
        if "name" in request.POST:
            add_form = StripeAccountAddForm(request.POST, auto_id=_ids_of("add"))
            done = _stripe_account_add(request, add_form)
        else:
            account = _posted_account(request)
            form = StripeConnectForm(request.POST, auto_id=_ids_of(account.pk))
            forms[account.pk] = form
            done = _stripe_connect(request, form, name=account.name)
        if done:
            return redirect("connections", slug=request.tenant.slug)
    return render(
        request,
        "syncapp/connections.html",
        {
            **_page_context(
                request.tenant, hide_secrets=getattr(request, "view_as", None) is not None, forms=forms
            ),
            "stripe_add_form": add_form,
            "permissions": STRIPE_PERMISSIONS,
        },
    )


def _ids_of(form_key: object) -> str:
    # Several key forms on one page: each its own element ids, so each label names its own input.
    return f"id_stripe_{form_key}_%s"


def _posted_account(request) -> StripeConnection:
    """The account a key form names (its first account when none): another tenant's is a 404."""
    try:
        account_id = ACCOUNT_ID.clean(request.POST.get("account") or None)
    except ValidationError as exc:
        raise Http404("No such Stripe account.") from exc
    if account_id is None:
        return stripe_account_first(tenant=request.tenant)
    return get_object_or_404(StripeConnection.objects.for_tenant(request.tenant), pk=account_id)


def _stripe_account_add(request, form: StripeAccountAddForm) -> bool:
    if not form.is_valid():
        return False
    name = form.cleaned_data["name"].strip()
    if StripeConnection.objects.for_tenant(request.tenant).filter(name=name).exists():
        form.add_error("name", f"You already have an account named “{name}”: replace its key in its own box.")
        return False
    return _stripe_connect(request, form, name=name)


def _stripe_connect(request, form, *, name: str | None) -> bool:
    """Connect the account the form is for; False (errors on the form) when refused."""
    if not form.is_valid():
        return False
    try:
        connection = stripe_services.stripe_connect(
            tenant=request.tenant,
            name=name,
            api_key=form.cleaned_data["api_key"],
            webhook_secret=form.cleaned_data["webhook_secret"],
        )
    except CredentialRefused as exc:
        field = {Credential.STRIPE_WEBHOOK_SECRET: "webhook_secret", Credential.STRIPE_ACCOUNT_NAME: "name"}
        form.add_error(field.get(exc.credential, "api_key"), exc.text)
        return False
    mode = "live" if connection.livemode else "test"
    several = StripeConnection.objects.for_tenant(request.tenant).count() > 1
    # "live" and "test" are Stripe's own names for its modes.
    words = {"name": connection.name, "mode": mode}
    if several:
        messages.success(request, _("Stripe account “%(name)s” is connected (%(mode)s mode).") % words)
    else:
        messages.success(request, _("Stripe is connected (%(mode)s mode).") % words)
    return True


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
            _(
                "This e-conomic approval was not started from this browser, so it was ignored and nothing "
                "was saved. Click “Connect e-conomic” to start again."
            ),
        )
    else:
        try:
            connection = economic_services.economic_connect(tenant=request.tenant, grant_token=token)
        except CredentialRefused as exc:
            messages.error(request, exc.text)
        else:
            messages.success(
                request,
                _("e-conomic is connected: agreement %(agreement_number)s %(company_name)s.")
                % {"agreement_number": connection.agreement_number, "company_name": connection.company_name},
            )
    # Redirect at once so the grant token leaves the address bar and the browser history.
    return redirect("connections", slug=request.tenant.slug)


@tenant_view(edit=True)
@require_POST
def economic_disconnect(request):
    economic_services.economic_disconnect(tenant=request.tenant)
    messages.success(request, _("e-conomic is disconnected; its access grant was forgotten."))
    return redirect("connections", slug=request.tenant.slug)


@tenant_view(edit=True)
@require_POST
def stripe_disconnect(request, account_id: int):
    account = get_object_or_404(StripeConnection.objects.for_tenant(request.tenant), pk=account_id)
    if stripe_services.stripe_disconnect(account=account):
        messages.success(
            request, _("Stripe is disconnected; the key, signing secrets and our webhook endpoint are gone.")
        )
    else:
        messages.warning(
            request,
            _(
                "Stripe is disconnected and the key and signing secrets were forgotten, but Stripe did "
                "not let us delete our webhook endpoint: delete it in your Stripe Dashboard."
            ),
        )
    return redirect("connections", slug=request.tenant.slug)


@tenant_view(edit=True)
@require_POST
def connections_check(request):
    economic = economic_services.economic_check(tenant=request.tenant)
    stripe = [stripe_services.stripe_check(connection=a) for a in stripe_accounts_for(tenant=request.tenant)]
    checked = [c for c in (economic, *stripe) if c is not None and c.status != ConnectionStatus.NOT_CONNECTED]
    if not checked:
        messages.info(request, _("Nothing is connected yet."))
    elif all(c.status == ConnectionStatus.CONNECTED for c in checked):
        messages.success(request, _("Every connection answered."))
    else:
        messages.error(request, _("A connection is failing: see the reason below."))
    return redirect("connections", slug=request.tenant.slug)


@tenant_view(edit=True)
@require_POST
def stripe_app_connect(request):
    """ "Connect with Stripe": to Stripe's install link, with a state bound to this member's session.

    `account` reconnects one of the tenant's accounts; `name` connects another one under that name.
    """
    account = _posted_account(request) if request.POST.get("account") else None
    if not request.session.session_key:
        request.session.save()
    url = stripe_app_services.stripe_install_url(
        tenant=request.tenant,
        user=request.user,
        session_key=request.session.session_key,
        account=account,
        account_name=request.POST.get("name", ""),
    )
    return redirect(url)


@never_cache
@login_required
@require_GET
def stripe_app_callback(request):
    """Where Stripe sends the browser back after its consent screen (the app's redirect URI)."""
    try:
        connection = stripe_app_services.stripe_install_complete(
            user=request.user,
            session_key=request.session.session_key or "",
            state=request.GET.get("state", ""),
            code=request.GET.get("code", ""),
            error=request.GET.get("error", ""),
        )
    except stripe_app_services.InstallRefused as exc:
        messages.error(request, exc.message)
        # Redirect at once, so the code leaves the address bar and the browser history.
        return redirect("connections", slug=exc.tenant.slug) if exc.tenant else redirect("home")
    mode = _("live mode") if connection.livemode else _("test mode")
    messages.success(
        request,
        _("Stripe account “%(name)s” is connected through our Stripe App (%(mode)s).")
        % {"name": connection.name, "mode": mode},
    )
    return redirect("connections", slug=connection.tenant.slug)


def stripe_revoked_banner(request) -> dict:
    """Context processor: on a tenant's pages, the banner while one of its Stripe accounts has
    removed our app in Stripe (its syncs are paused until it is connected again)."""
    tenant = getattr(request, "tenant", None)
    if not isinstance(tenant, Tenant):
        return {}
    revoked = StripeConnection.objects.for_tenant(tenant).filter(status=ConnectionStatus.REVOKED)
    return {"stripe_revoked_accounts": list(revoked.values_list("name", flat=True))}
