"""Where a merchant sees a customer in the services themselves: the Stripe Dashboard and e-conomic.

The one place that builds these links, so the sync log, the review queue and the reports agree, and
a second Stripe account per merchant is one `account_id` away.
"""

from urllib.parse import quote

from django.conf import settings


def stripe_customer_url(*, customer_id: str, livemode: bool, account_id: str = "") -> str:
    """The customer in the Stripe Dashboard (test-mode customers live under /test/)."""
    parts = [settings.STRIPE_DASHBOARD_URL]
    if account_id:
        parts.append(quote(account_id, safe=""))
    if not livemode:
        parts.append("test")
    parts += ["customers", quote(customer_id, safe="")]
    return "/".join(parts)


def economic_customer_url(*, number: int) -> str:
    """The debtor's card in e-conomic (the agreement is the one the merchant is logged in to)."""
    return f"{settings.ECONOMIC_WEB_URL}/sales/customers/{int(number)}"
