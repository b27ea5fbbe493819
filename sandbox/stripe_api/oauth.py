"""Stripe Apps' OAuth in the emulator: the install link's consent page (an account picker and the
app's permissions), the code exchange and the refresh at `/v1/oauth/token` (platform key; codes
single use for 5 minutes; refresh tokens rotate, a spent one is refused), Connect's
`/oauth/deauthorize`, the access tokens as API credentials with `Stripe-Account`, and the
`account.application.deauthorized` event sent to the app's platform only.
"""

import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render

from .models import (
    ACCESS_TOKEN_SECONDS,
    OAUTH_CODE_SECONDS,
    PERMISSION_LEVELS,
    REFRESH_TOKEN_SECONDS,
    Account,
    ApiKey,
    OAuthApp,
    OAuthCode,
    OAuthGrant,
    now_ts,
    stripe_id,
)
from .params import ApiError
from .services import Caller, connect_endpoints, event_emit_to

DEAUTHORIZED = "account.application.deauthorized"


@dataclass(frozen=True)
class GrantKey:
    """An app's access to one connected account, standing where an `ApiKey` does: reached with the
    grant's access token, or with the platform's secret key and `Stripe-Account`."""

    grant: OAuthGrant
    key: str

    @property
    def account(self) -> Account:
        return self.grant.account

    @property
    def livemode(self) -> bool:
        return self.grant.livemode

    restricted = True

    def allows(self, resource: str, level: str) -> bool:
        granted = (self.grant.app.permissions or {}).get(resource, "none")
        return PERMISSION_LEVELS.index(granted) >= PERMISSION_LEVELS.index(level)


def _no_access(key: str, account_id: str) -> ApiError:
    return ApiError(
        403,
        f"The provided key '{key[:8]}{'*' * 20}{key[-4:]}' does not have access to account '{account_id}' "
        "(or that account does not exist). Application access may have been revoked.",
        code="account_invalid",
    )


def grant_for_token(token: str) -> OAuthGrant | None:
    return OAuthGrant.objects.select_related("app", "account").filter(access_token=token).first()


def access_token_principal(grant: OAuthGrant, token: str) -> GrantKey:
    if grant.revoked:
        raise ApiError(401, f"Invalid API Key provided: {token[:8]}{'*' * 20}{token[-4:]}")
    if grant.access_expires <= now_ts():
        raise ApiError(401, "Expired API Key provided: the access token has expired; refresh it.")
    return GrantKey(grant, token)


def with_stripe_account(principal: "ApiKey | GrantKey", header: str) -> "ApiKey | GrantKey":
    """What a request acts on once its `Stripe-Account` header is read (no header: unchanged)."""
    if not header:
        return principal
    if isinstance(principal, GrantKey):
        if principal.account.stripe_id != header:
            raise _no_access(principal.key, header)
        return principal
    if principal.account.stripe_id == header:
        return principal
    grant = (
        OAuthGrant.objects.select_related("app", "account")
        .filter(app__platform=principal.account, account__stripe_id=header, livemode=principal.livemode)
        .filter(revoked=False)
        .order_by("-id")
        .first()
    )
    if grant is None or principal.restricted:
        raise _no_access(principal.key, header)
    return GrantKey(grant, principal.key)


# --- the install link's consent page ------------------------------------------------------------


def _app_for(client_id: str, redirect_uri: str) -> OAuthApp:
    app = OAuthApp.objects.select_related("platform").filter(client_id=client_id).first()
    if app is None:
        raise ApiError(400, f"No such application: '{client_id}'.")
    if redirect_uri not in app.redirect_uris:
        # Never followed: a code sent to an address the app did not register could be stolen.
        raise ApiError(400, "Invalid redirect_uri: it is not among the app's allowed_redirect_uris.")
    return app


def _pickable_accounts():
    """The test accounts the "signed-in user" may install into: every account but platforms."""
    return (
        Account.objects.exclude(pk__in=OAuthApp.objects.values("platform"))
        .filter(keys__key__startswith="sk_test_")
        .distinct()
        .order_by("-id")
    )


def authorize(request: HttpRequest) -> HttpResponse:
    """GET: Stripe's consent screen; POST: the merchant's answer, back to the app's redirect URI."""
    source = request.POST if request.method == "POST" else request.GET
    client_id, redirect_uri, state = (source.get(k, "") for k in ("client_id", "redirect_uri", "state"))
    try:
        app = _app_for(client_id, redirect_uri)
    except ApiError as exc:
        return render(request, "sandbox/stripe_authorize_error.html", {"message": exc.message}, status=400)
    if request.method != "POST":
        context = {
            "app": app,
            "accounts": _pickable_accounts()[:20],
            "permissions": sorted(app.permissions.items()),
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "state": state,
        }
        return render(request, "sandbox/stripe_authorize.html", context)
    back = {"state": state} if state else {}
    if request.POST.get("decision") != "approve":
        back.update(error="access_denied", error_description="The user denied your request")
        return HttpResponseRedirect(f"{redirect_uri}?{urlencode(back)}")
    account = _pickable_accounts().filter(stripe_id=request.POST.get("account", "")).first()
    if account is None:
        return render(
            request, "sandbox/stripe_authorize_error.html", {"message": "Pick an account."}, status=400
        )
    code = OAuthCode.objects.create(
        app=app, account=account, code=stripe_id("ac_", 32), expires=now_ts() + OAUTH_CODE_SECONDS
    )
    back["code"] = code.code
    return HttpResponseRedirect(f"{redirect_uri}?{urlencode(back)}")


# --- /v1/oauth/token and /oauth/deauthorize (the platform's secret key) -------------------------


def _oauth_error(error: str, description: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": error, "error_description": description}, status=status)


def oauth_tokens(livemode: bool) -> dict:
    mode = "live" if livemode else "test"
    return {
        "access_token": f"sk_{mode}_oauth_{secrets.token_urlsafe(32)}",
        "access_expires": now_ts() + ACCESS_TOKEN_SECONDS,
        "refresh_token": f"rt_{secrets.token_urlsafe(40)}",
        "refresh_expires": now_ts() + REFRESH_TOKEN_SECONDS,
    }


def _token_answer(grant: OAuthGrant) -> JsonResponse:
    return JsonResponse(
        {
            "access_token": grant.access_token,
            "livemode": grant.livemode,
            "refresh_token": grant.refresh_token,
            "scope": "read_write",
            "stripe_user_id": grant.account.stripe_id,
            "token_type": "bearer",
        }
    )


def token(request: HttpRequest, platform: ApiKey | None) -> JsonResponse:
    """`POST /v1/oauth/token`; `platform`: the request's secret key (views.py reads it)."""
    if request.method != "POST":
        return _oauth_error("invalid_request", "POST to this endpoint.", 405)
    if platform is None:
        return _oauth_error("invalid_client", "Authenticate with the platform's secret key.", 401)
    grant_type = request.POST.get("grant_type", "")
    with transaction.atomic():
        if grant_type == "authorization_code":
            return _exchange(platform, request.POST.get("code", ""))
        if grant_type == "refresh_token":
            return _refresh(platform, request.POST.get("refresh_token", ""))
    return _oauth_error("unsupported_grant_type", f"Unsupported grant type: {grant_type!r}.")


def _exchange(platform: ApiKey, code_value: str) -> JsonResponse:
    code = (
        OAuthCode.objects.select_for_update()
        .select_related("app", "account")
        .filter(code=code_value, app__platform=platform.account)
        .first()
    )
    if code is None or code.used or code.expires <= now_ts() or code.livemode != platform.livemode:
        return _oauth_error(
            "invalid_grant", f"Authorization code does not exist or expired: {code_value[:6]}…"
        )
    code.used = True
    code.save(update_fields=["used"])
    # A new install replaces an earlier one of the same app in the same account.
    OAuthGrant.objects.filter(app=code.app, account=code.account, livemode=code.livemode).update(revoked=True)
    grant = OAuthGrant.objects.create(
        app=code.app, account=code.account, livemode=code.livemode, **oauth_tokens(code.livemode)
    )
    return _token_answer(grant)


def _refresh(platform: ApiKey, refresh_token: str) -> JsonResponse:
    grant = (
        OAuthGrant.objects.select_for_update()
        .select_related("app", "account")
        .filter(refresh_token=refresh_token, app__platform=platform.account)
        .first()
    )
    if grant is None or grant.revoked or grant.refresh_expires <= now_ts():
        # A spent (rotated) refresh token is not found: refused like a revoked one.
        return _oauth_error("invalid_grant", "Refresh token does not exist, was used already or was revoked.")
    for name, value in oauth_tokens(grant.livemode).items():
        setattr(grant, name, value)
    grant.save()
    return _token_answer(grant)


def deauthorize(request: HttpRequest, platform: ApiKey | None) -> JsonResponse:
    """Connect's `POST /oauth/deauthorize` (client_id, stripe_user_id), with the platform key."""
    if request.method != "POST":
        return _oauth_error("invalid_request", "POST to this endpoint.", 405)
    if platform is None:
        return _oauth_error("invalid_client", "Authenticate with the platform's secret key.", 401)
    app = OAuthApp.objects.filter(
        platform=platform.account, client_id=request.POST.get("client_id", "")
    ).first()
    stripe_user_id = request.POST.get("stripe_user_id", "")
    if app is None:
        return _oauth_error("invalid_client", "No such application for this platform.")
    if not app_uninstall(app=app, stripe_user_id=stripe_user_id, livemode=platform.livemode):
        return _oauth_error(
            "invalid_client", f"This application is not connected to stripe_user_id {stripe_user_id}."
        )
    return JsonResponse({"stripe_user_id": stripe_user_id})


def app_uninstall(*, app: OAuthApp, stripe_user_id: str, livemode: bool = False) -> int:
    """The merchant removes the app (or the platform revokes it): its grants end, and the app's
    platform is sent `account.application.deauthorized`. How many grants ended."""
    with transaction.atomic():
        grants = OAuthGrant.objects.filter(
            app=app, account__stripe_id=stripe_user_id, livemode=livemode, revoked=False
        ).select_related("account")
        account = grants[0].account if grants else None
        if account is None:
            return 0
        endpoints = connect_endpoints(account=account, livemode=livemode, event_type=DEAUTHORIZED, apps=[app])
        ended = grants.update(revoked=True)
        application = {"id": app.client_id, "object": "application", "name": app.name}
        event_emit_to(Caller(account, livemode), DEAUTHORIZED, application, endpoints)
    return ended
