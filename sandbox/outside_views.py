"""Stand-ins for the Stripe Dashboard and e-conomic's web app, for `make run`: the sync log links a
customer to where it lives (STRIPE_DASHBOARD_URL, ECONOMIC_WEB_URL), and offline those links land
here instead of on a login page the sandbox's customers do not exist behind.

Sandbox code: it may import the product; the product never imports it.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from sandbox.economic_api.models import Customer as EconomicCustomer
from sandbox.stripe_api.models import Customer as StripeCustomer
from syncapp.connections.common import Service
from syncapp.connections.selectors import connection_for
from syncapp.selectors import memberships_of


def stripe_dashboard(request, rest: str):
    """`[acct_…/][test/]customers/<id>`, as the Dashboard's own paths."""
    parts = rest.strip("/").split("/")
    if len(parts) < 2 or parts[-2] != "customers":
        raise Http404("The sandbox's Stripe Dashboard shows customers only.")
    customer = StripeCustomer.objects.filter(stripe_id=parts[-1]).first()
    if customer is None:
        raise Http404("No such customer in the Stripe sandbox.")
    facts = [("Customer", customer.stripe_id), ("Mode", "live" if customer.livemode else "test")]
    if customer.deleted:
        facts.append(("Deleted", "yes"))
    facts += [(key, _text(value)) for key, value in sorted(customer.data.items()) if _shown(value)]
    facts += [(f"Tax id ({t.get('type')})", t.get("value")) for t in customer.tax_ids]
    return render(request, "sandbox/outside_customer.html", {"service": "Stripe Dashboard", "facts": facts})


@login_required
def economic_customer(request, number: int):
    """The debtor in the agreements the member's merchants are connected to."""
    agreements = [
        connection.agreement_number
        for membership in memberships_of(user=request.user)
        if (connection := connection_for(tenant=membership.tenant, service=Service.ECONOMIC)) is not None
    ]
    customer = EconomicCustomer.objects.filter(
        number=number, agreement__agreement_number__in=[a for a in agreements if a is not None]
    ).first()
    if customer is None:
        raise Http404("No such customer in your sandbox e-conomic agreement.")
    facts = [("Agreement", customer.agreement.agreement_number), ("Customer number", customer.number)]
    facts += [(key, _text(value)) for key, value in customer.data.items() if _shown(value)]
    return render(request, "sandbox/outside_customer.html", {"service": "e-conomic", "facts": facts})


def _shown(value) -> bool:
    return value not in (None, "", {}, [])


def _text(value) -> str:
    """A nested value (an address, a list reference) as one readable line."""
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_text(item)}" for key, item in value.items() if _shown(item))
    if isinstance(value, list):
        return ", ".join(_text(item) for item in value)
    return str(value)
