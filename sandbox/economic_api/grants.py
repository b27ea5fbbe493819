"""The emulated grant page's rules (demo only: the sandbox is never served in production).

Real e-conomic shows the grant page to a person logged in to their own agreement. The sandbox has
no such login, so a sign-up stands for the person: the redirect URL must be the product's own
e-conomic callback (`SITE_URL/t/<slug>/connections/economic/callback/<state>/`), and its slug
names the sign-up. An agreement belongs to the first sign-up granted access to it (here or by
"Use a sandbox test account"); a sign-up is offered its own agreement, else one nobody holds yet,
else a new one, never another sign-up's. Each accept issues a new grant token: no stored token
is ever handed out again.
"""

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.urls import Resolver404, resolve

from syncapp.numbers import INTEGER_MAX, whole_number

from .models import Agreement, App, Grant
from .seed import create_agreement

CALLBACK_URL_NAME = "economic_callback"


class GrantRefused(Exception):
    """The grant page cannot go on; the message says why."""


def callback_signup(redirect_url: str) -> str | None:
    """The sign-up (tenant slug) whose e-conomic callback `redirect_url` is, or None."""
    parts, site = urlsplit(redirect_url), urlsplit(settings.SITE_URL)
    if (parts.scheme, parts.netloc) != (site.scheme, site.netloc):
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    return match.kwargs.get("slug") if match.url_name == CALLBACK_URL_NAME else None


def agreement_for_signup(*, signup: str, chosen: str = "") -> Agreement:
    """The agreement the page offers this sign-up: the one chosen, if it may have it; else its own,
    one nobody holds, or a new one."""
    grantable = Agreement.objects.filter(read_only=False)
    if chosen:
        number = whole_number(chosen, maximum=INTEGER_MAX)
        agreement = grantable.filter(agreement_number=number).first() if number is not None else None
        if agreement is None:
            raise GrantRefused(f"There is no agreement {chosen[:20]}.")
        if agreement.granted_to not in ("", signup):
            raise GrantRefused(f"Agreement {agreement.agreement_number} belongs to another sign-up.")
        return agreement
    agreement = grantable.filter(granted_to=signup).last() or grantable.filter(granted_to="").last()
    return agreement or create_agreement(customers=10)


@transaction.atomic
def grant_issue(*, app: App, agreement: Agreement, signup: str) -> Grant:
    """A new grant token for this sign-up's accept; the agreement is the sign-up's from now on."""
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.granted_to not in ("", signup):
        raise GrantRefused(f"Agreement {agreement.agreement_number} belongs to another sign-up.")
    if not agreement.granted_to:
        agreement.granted_to = signup
        agreement.save(update_fields=["granted_to"])
    return Grant.objects.create(app=app, agreement=agreement, token=secrets.token_urlsafe(32))


def agreement_hold(*, agreement_number: int, signup: str) -> None:
    """`signup` holds this agreement (the sandbox account button seeded it for them)."""
    Agreement.objects.filter(agreement_number=agreement_number, granted_to="").update(granted_to=signup)
