"""The sandbox as a visitor of `make run` meets it: "Use a sandbox test account" (a fresh seeded
Stripe account and e-conomic agreement, connected), and a console to create, change and delete
Stripe test customers (and add e-conomic ones, to try an ambiguous match) and watch each webhook's
sync land in the sync log.

Sandbox code: it may import the product; the product never imports it.
"""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from customers.selectors import sync_records_for
from sandbox.demo import sandbox_account_connect
from sandbox.economic_api.models import Agreement
from sandbox.economic_api.models import Customer as EconomicCustomer
from sandbox.economic_api.seed import add_customer
from sandbox.stripe_api import control
from sandbox.stripe_api import services as stripe_services
from sandbox.stripe_api.models import Account, ApiKey, WebhookEndpoint
from sandbox.stripe_api.params import ApiError
from syncapp.connections.common import Service
from syncapp.connections.selectors import connection_for, stripe_account_first, stripe_webhook_url
from syncapp.tenancy import tenant_view

SANDBOX_CUSTOMERS = 20
CONSOLE_PAGE_SIZE = 10


class CustomerForm(forms.Form):
    name = forms.CharField(max_length=200, required=False)
    email = forms.EmailField(required=False, label="E-mail")


def _sandbox_key(tenant) -> str | None:
    """The sandbox Stripe account the tenant's first Stripe account is connected to (through our
    app, or by the webhook endpoint pointing at it): its secret key."""
    first = stripe_account_first(tenant=tenant)
    if first.account_id:
        account = Account.objects.filter(stripe_id=first.account_id).first()
    else:
        url = stripe_webhook_url(first)
        endpoint = WebhookEndpoint.objects.filter(url=url).order_by("-created", "-pk").first()
        account = endpoint.account if endpoint else None
    if account is None:
        return None
    key = ApiKey.objects.filter(account=account, key__startswith="sk_test_").first()
    return key.key if key else None


@tenant_view(edit=True)
@require_POST
def account_create(request):
    tenant = request.tenant
    seeded = sandbox_account_connect(tenant=tenant, customers=SANDBOX_CUSTOMERS)
    economic = seeded["economic"]
    messages.success(
        request,
        f"Connected to a sandbox test account: e-conomic agreement {economic['agreement_number']} and a "
        f"Stripe test account, {SANDBOX_CUSTOMERS} customers each ({seeded['shared_emails']} on both sides).",
    )
    return redirect("dashboard", slug=tenant.slug)


@tenant_view
def console(request):
    api_key = _sandbox_key(request.tenant)
    syncs = sync_records_for(tenant=request.tenant).filter(dry_run=False)[:15]
    if request.GET.get("part") == "syncs":
        return render(request, "sandbox/console_syncs.html", {"syncs": syncs})
    context = {
        "api_key": api_key,
        "syncs": syncs,
        "form": CustomerForm(),
        "economic_form": CustomerForm(prefix="economic"),
        "agreement": _sandbox_agreement(request.tenant),
    }
    if api_key:
        context.update(_customers_page(api_key, request.GET.get("after", "")))
    if context["agreement"] is not None:
        context["economic_customers"] = EconomicCustomer.objects.filter(
            agreement=context["agreement"]
        ).order_by("-number")[:CONSOLE_PAGE_SIZE]
    return render(request, "sandbox/console.html", context)


def _customers_page(api_key: str, after: str) -> dict:
    """One page of the account's Stripe customers, newest first, with the cursor to the next."""
    params: dict = {"limit": CONSOLE_PAGE_SIZE}
    if after.startswith("cus_"):
        params["starting_after"] = after
    try:
        listed = stripe_services.customer_list(control.caller_for_key(api_key), params)
    except ApiError:  # a cursor that is no longer a customer of this account: the first page
        listed = stripe_services.customer_list(control.caller_for_key(api_key), {"limit": CONSOLE_PAGE_SIZE})
        after = ""
    customers = listed["data"]
    account = control.account_for_key(api_key)
    return {
        "customers": customers,
        "customers_total": account.customers.filter(deleted=False).count(),
        "next_after": customers[-1]["id"] if listed["has_more"] and customers else "",
        "paged": bool(after),
    }


def _sandbox_agreement(tenant) -> Agreement | None:
    """The sandbox e-conomic agreement the tenant is connected to (None for a real one)."""
    connection = connection_for(tenant=tenant, service=Service.ECONOMIC)
    if connection is None or connection.agreement_number is None:
        return None
    return Agreement.objects.filter(agreement_number=connection.agreement_number).first()


@tenant_view(edit=True)
@require_POST
def economic_customer_create(request):
    """A customer straight into the sandbox agreement, as a bookkeeper would type one in e-conomic
    (give it a Stripe customer's e-mail, and that customer's next sync finds two to choose from)."""
    agreement = _sandbox_agreement(request.tenant)
    if agreement is None:
        raise Http404("This merchant has no sandbox e-conomic agreement.")
    form = CustomerForm(request.POST, prefix="economic")
    if not form.is_valid() or not form.cleaned_data["name"]:
        messages.warning(request, "Give the e-conomic customer a name (and a valid e-mail address, or none).")
        return redirect("sandbox_console", slug=request.tenant.slug)
    fields = {"name": form.cleaned_data["name"]}
    if form.cleaned_data["email"]:
        fields["email"] = form.cleaned_data["email"]
    made = add_customer(agreement, **fields)
    messages.success(
        request,
        f"Created e-conomic customer {made.number} ({made.data['name']}) in agreement "
        f"{agreement.agreement_number}.",
    )
    return redirect("sandbox_console", slug=request.tenant.slug)


def _key_or_404(request) -> str:
    api_key = _sandbox_key(request.tenant)
    if api_key is None:
        raise Http404("This merchant has no sandbox Stripe account.")
    return api_key


def _params(request) -> dict | None:
    form = CustomerForm(request.POST)
    if not form.is_valid():
        messages.warning(request, "Give a name and a valid e-mail address (or leave it empty).")
        return None
    return {key: value for key, value in form.cleaned_data.items() if value}


@tenant_view(edit=True)
@require_POST
def customer_create(request):
    api_key, params = _key_or_404(request), _params(request)
    if params is not None:
        made = control.customer_create(api_key, **params)
        messages.success(request, f"Created {made['id']} in Stripe: watch its sync appear below.")
    return redirect("sandbox_console", slug=request.tenant.slug)


@tenant_view(edit=True)
@require_POST
def customer_change(request, customer_id: str):
    api_key, params = _key_or_404(request), _params(request)
    if params is not None:
        _in_account(api_key, customer_id)
        control.customer_update(api_key, customer_id, **params)
        messages.success(request, f"Changed {customer_id} in Stripe.")
    return redirect("sandbox_console", slug=request.tenant.slug)


@tenant_view(edit=True)
@require_POST
def customer_remove(request, customer_id: str):
    api_key = _key_or_404(request)
    _in_account(api_key, customer_id)
    control.customer_delete(api_key, customer_id)
    messages.success(request, f"Deleted {customer_id} in Stripe.")
    return redirect("sandbox_console", slug=request.tenant.slug)


def _in_account(api_key: str, customer_id: str) -> None:
    account = control.account_for_key(api_key)
    if not account.customers.filter(stripe_id=customer_id, deleted=False).exists():
        raise Http404("No such customer in this sandbox account.")
