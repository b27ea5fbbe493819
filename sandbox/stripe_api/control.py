"""Python helpers for tests and scripts: delivery switches, faults, restricted keys, request counts,
direct customer writes."""

from typing import Any

from django.db import transaction

from . import delivery, faults, services
from .models import (
    PERMISSION_LEVELS,
    PERMISSION_RESOURCES,
    Account,
    ApiKey,
    Fault,
    OAuthApp,
    OAuthGrant,
    RequestLog,
    WebhookEndpoint,
    stripe_id,
)
from .oauth import DEAUTHORIZED, oauth_tokens
from .params import as_int, invalid


def account_for_key(api_key: str) -> Account:
    return ApiKey.objects.select_related("account").get(key=api_key).account


def caller_for_key(api_key: str, *, idempotency_key: str | None = None) -> services.Caller:
    key = ApiKey.objects.select_related("account").get(key=api_key)
    return services.Caller(key.account, key.livemode, stripe_id("req_", 14), idempotency_key)


def delivery_set(
    account: Account,
    *,
    duplicates: int | None = None,
    reorder_batch: int | None = None,
    delay_seconds: float | None = None,
) -> None:
    changes: dict[str, Any] = {}
    if duplicates is not None:
        changes["delivery_duplicates"] = max(duplicates, 1)
    if reorder_batch is not None:
        changes["delivery_reorder_batch"] = max(reorder_batch, 0)
    if delay_seconds is not None:
        changes["delivery_delay_seconds"] = max(delay_seconds, 0.0)
    Account.objects.filter(pk=account.pk).update(**changes)


def switches_from_params(params: dict[str, Any]) -> dict[str, Any]:
    switches: dict[str, Any] = {}
    for name in ("duplicates", "reorder_batch"):
        if name in params:
            switches[name] = as_int(params[name], name, low=0, high=100)
    if "delay_seconds" in params:
        try:
            switches["delay_seconds"] = float(params["delay_seconds"])
        except ValueError:
            raise invalid("delay_seconds must be a number.", param="delay_seconds") from None
    return switches


def delivery_switches(account: Account) -> dict[str, Any]:
    return {
        "duplicates": account.delivery_duplicates,
        "reorder_batch": account.delivery_reorder_batch,
        "delay_seconds": account.delivery_delay_seconds,
    }


def restricted_key_create(account: Account, permissions: dict[str, str], *, livemode: bool = False) -> ApiKey:
    """A new `rk_` key of `account` with `permissions` (resource → none|read|write); a resource
    left out gets none. Events can only be read, as in Stripe's Dashboard."""
    if not isinstance(permissions, dict):
        raise invalid("permissions must be a hash of resource → level.", param="permissions")
    for resource, level in permissions.items():
        if resource not in PERMISSION_RESOURCES:
            choices = ", ".join(PERMISSION_RESOURCES)
            raise invalid(
                f"Unknown resource {resource!r}: one of {choices}.", param=f"permissions[{resource}]"
            )
        highest = PERMISSION_LEVELS.index(PERMISSION_RESOURCES[resource])
        if level not in PERMISSION_LEVELS[: highest + 1]:
            allowed = ", ".join(PERMISSION_LEVELS[: highest + 1])
            raise invalid(f"{resource} can be given {allowed}.", param=f"permissions[{resource}]")
    prefix = "rk_live_" if livemode else "rk_test_"
    return ApiKey.objects.create(account=account, key=stripe_id(prefix, 32), permissions=dict(permissions))


def fault_add(account: Account | None, kind: str, **params: Any) -> Fault:
    """A fault as `POST /_control/faults` takes it (`count=`, `rate=`, `status=`, `path=`, …);
    `account` None makes it global."""
    return faults.fault_add(account, kind, **faults.params_to_options(params))


def faults_clear(account: Account | None) -> int:
    return faults.faults_clear(account)


def account_set_api_version(account: Account, api_version: str) -> None:
    """The account's default API version: new events are created in it."""
    services.api_version_check(api_version)
    Account.objects.filter(pk=account.pk).update(api_version=api_version)
    account.api_version = api_version


def release_held(account: Account) -> int:
    return delivery.release_held(account)


def request_count(account: Account, *, method: str | None = None, path: str | None = None) -> int:
    """Calls this account's keys made; `path` as Stripe writes it (`/v1/customers`), prefix match."""
    logged = RequestLog.objects.filter(account=account)
    if method:
        logged = logged.filter(method=method.upper())
    if path:
        logged = logged.filter(path__startswith=path)
    return logged.count()


# Act as the merchant in the Dashboard (no HTTP call, no request log row); events are emitted and
# delivered exactly as for an API call. Params are nested like parsed form data.


def customer_create(api_key: str, *, idempotency_key: str | None = None, **params: Any) -> dict[str, Any]:
    with transaction.atomic():
        return services.customer_create(caller_for_key(api_key, idempotency_key=idempotency_key), params)


def customer_update(
    api_key: str, customer_id: str, *, idempotency_key: str | None = None, **params: Any
) -> dict[str, Any]:
    with transaction.atomic():
        caller = caller_for_key(api_key, idempotency_key=idempotency_key)
        return services.customer_update(caller, customer_id, params)


def customer_delete(api_key: str, customer_id: str) -> dict[str, Any]:
    with transaction.atomic():
        return services.customer_delete(caller_for_key(api_key), customer_id)


def platform_setup(
    *,
    client_id: str,
    secret_key: str,
    webhook_url: str,
    webhook_secret: str,
    redirect_uri: str,
    name: str = "Stripe ↔ e-conomic sync",
) -> OAuthApp:
    """Our platform in the emulator, as an operator registers it at Stripe (README): its account
    and secret key, the app (client id, redirect URI, permissions) and the Connect endpoint with
    its signing secret, all with the values the product's settings hold. Idempotent."""
    with transaction.atomic():
        key = ApiKey.objects.select_related("account").filter(key=secret_key).first()
        if key is None:
            key = ApiKey.objects.create(account=Account.objects.create(name="Platform"), key=secret_key)
        app, _ = OAuthApp.objects.update_or_create(
            client_id=client_id,
            defaults={"platform": key.account, "name": name, "redirect_uris": [redirect_uri]},
        )
        WebhookEndpoint.objects.update_or_create(
            account=key.account,
            connect=True,
            livemode=key.livemode,
            defaults={
                "stripe_id": stripe_id("we_"),
                "url": webhook_url,
                "enabled_events": ["customer.created", "customer.updated", "customer.deleted", DEAUTHORIZED],
                "secret": webhook_secret,
            },
        )
    return app


def app_install(app: OAuthApp, account: Account) -> OAuthGrant:
    """The account's owner installs the app without the consent page (the demo, set up before the
    server answers): a grant whose tokens the product stores as if it had exchanged a code."""
    OAuthGrant.objects.filter(app=app, account=account, livemode=False).update(revoked=True)
    return OAuthGrant.objects.create(app=app, account=account, livemode=False, **oauth_tokens(False))
