"""`{% stripe_customer_url id %}` and `{% economic_customer_url number %}`: a customer on the merchant's
pages, linked to where it lives in Stripe and in e-conomic."""

from datetime import datetime

from django import template
from django.utils.dateparse import parse_datetime

from syncapp.connections.common import Service
from syncapp.connections.selectors import connection_for

from .. import links

register = template.Library()


def _stripe_account(context) -> tuple[bool, str]:
    """(livemode, account id) of the page's tenant, read once per request."""
    request = context.get("request")
    cached = getattr(request, "_stripe_link_account", None)
    if cached is not None:
        return cached
    tenant = context.get("current_tenant")
    connection = connection_for(tenant=tenant, service=Service.STRIPE) if tenant else None
    account = (bool(connection and connection.livemode), connection.account_id if connection else "")
    if request is not None:
        request._stripe_link_account = account
    return account


@register.simple_tag(takes_context=True)
def stripe_customer_url(context, customer_id: str) -> str:
    livemode, account_id = _stripe_account(context)
    return links.stripe_customer_url(customer_id=customer_id, livemode=livemode, account_id=account_id)


@register.simple_tag
def economic_customer_url(number: int) -> str:
    return links.economic_customer_url(number=number)


@register.filter
def from_iso(value: str | None) -> datetime | None:
    """e-conomic's timestamps ("2026-12-04T14:03:00Z") as datetimes, to show in the reader's format."""
    try:
        return parse_datetime(value) if value else None
    except ValueError:
        return None
