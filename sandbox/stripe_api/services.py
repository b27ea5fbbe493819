"""The Stripe emulator's behaviour: customers, webhook endpoints, events, list pagination.

Functions take a `Caller` (the account and mode a key opened, and the request that acts) and the
parsed parameters, and return the API's JSON body or raise `ApiError`.
"""

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from .delivery import event_deliver_on_commit
from .models import (
    DEFAULT_API_VERSION,
    Account,
    Customer,
    Event,
    OAuthApp,
    OAuthGrant,
    WebhookEndpoint,
    now_ts,
    stripe_id,
)
from .params import ApiError, as_int, as_list, invalid

API_VERSION = DEFAULT_API_VERSION
_API_VERSION_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$")
# Stripe lists events for 30 days only; older ones are neither listed nor retrieved here.
EVENT_RETENTION_SECONDS = 30 * 24 * 3600
EVENT_TYPES_MAX = 20
METADATA_MAX_KEYS = 50
METADATA_KEY_MAX = 40
METADATA_VALUE_MAX = 500

_ADDRESS_FIELDS = ("city", "country", "line1", "line2", "postal_code", "state")
_STRING_FIELDS = (
    "business_name",
    "description",
    "email",
    "individual_name",
    "invoice_prefix",
    "name",
    "phone",
)
_CUSTOMER_PARAMS = {
    *_STRING_FIELDS,
    "address",
    "balance",
    "expand",
    "invoice_settings",
    "metadata",
    "preferred_locales",
    "shipping",
    "tax_exempt",
}
_TAX_EXEMPT = ("none", "exempt", "reverse")
_INVOICE_SETTINGS = ("custom_fields", "default_payment_method", "footer", "rendering_options")


@dataclass(frozen=True)
class Caller:
    account: Account
    livemode: bool
    request_id: str | None = None
    idempotency_key: str | None = None


def missing(kind: str, object_id: str, param: str = "id") -> ApiError:
    return ApiError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


# --- customers -------------------------------------------------------------------------------


def _customers(caller: Caller) -> QuerySet[Customer]:
    return Customer.objects.filter(account=caller.account, livemode=caller.livemode)


# One customer of the caller's, by id (unique). Written out: nearly every call reads one, and the
# ORM's building of the query cost more CPU than the query (the bench's emulators share their
# machine with the product).
_CUSTOMER = (
    f"SELECT * FROM {Customer._meta.db_table} WHERE account_id = %s AND livemode = %s AND stripe_id = %s"
)


def _customer_row(caller: Caller, customer_id: str, *, for_update: bool = False) -> Customer:
    """The caller's customer, deleted or not; `for_update` locks it (and refuses a deleted one)."""
    sql = f"{_CUSTOMER} AND NOT deleted" if for_update else _CUSTOMER
    if for_update and connection.features.has_select_for_update:  # not SQLite (`make run`)
        sql += " FOR UPDATE"
    for row in Customer.objects.raw(sql, [caller.account.pk, caller.livemode, customer_id]):
        return row
    raise missing("customer", customer_id)


def customer_render(row: Customer, expand: list[str] | None = None) -> dict[str, Any]:
    if row.deleted:
        return {"id": row.stripe_id, "object": "customer", "deleted": True}
    body = dict(sorted(row.data.items()))
    for path in expand or []:
        if path != "tax_ids":
            raise invalid(f"This property cannot be expanded ({path}).", param="expand")
        body["tax_ids"] = {
            "object": "list",
            "data": row.tax_ids,
            "has_more": False,
            "total_count": len(row.tax_ids),
            "url": f"/v1/customers/{row.stripe_id}/tax_ids",
        }
    return body


def _nullable(value: Any, param: str, max_length: int = 5000) -> str | None:
    if isinstance(value, dict | list):
        raise invalid(f"Invalid string: {param} must be a string.", param=param)
    if value in (None, ""):
        return None
    if len(value) > max_length:
        raise invalid(f"Invalid string: {param} must be at most {max_length} characters.", param=param)
    return value


def _address(value: Any, old: dict | None, param: str) -> dict | None:
    if value == "":
        return None
    if not isinstance(value, dict):
        raise invalid(f"Invalid hash: {param}.", param=param)
    unknown = set(value) - set(_ADDRESS_FIELDS)
    if unknown:
        raise invalid(f"Received unknown parameter: {param}[{sorted(unknown)[0]}]", param=param)
    # Like metadata, a hash update changes only the keys sent (*unconfirmed* for addresses).
    merged = dict(old or dict.fromkeys(_ADDRESS_FIELDS))
    for key, raw in value.items():
        merged[key] = _nullable(raw, f"{param}[{key}]")
    return dict(sorted(merged.items()))


def _shipping(value: Any, old: dict | None) -> dict | None:
    if value == "":
        return None
    if not isinstance(value, dict) or set(value) - {"name", "phone", "address"}:
        raise invalid("Invalid hash: shipping takes name, phone and address.", param="shipping")
    if not (old or {}).get("name") and not value.get("name"):
        raise invalid("Missing required param: shipping[name].", param="shipping[name]")
    shipping = dict(old or {"address": None, "name": None, "phone": None})
    for key, raw in value.items():
        if key == "address":
            shipping["address"] = _address(raw, shipping.get("address"), "shipping[address]")
        else:
            shipping[key] = _nullable(raw, f"shipping[{key}]")
    return shipping


def metadata_merge(old: dict[str, str], value: Any) -> dict[str, str]:
    """Merge key by key; an empty value removes its key; `metadata=` (empty) clears all."""
    if value == "":
        return {}
    if not isinstance(value, dict):
        raise invalid("Invalid hash: metadata must be a hash of strings.", param="metadata")
    merged = dict(old)
    for key, raw in value.items():
        if not isinstance(raw, str):
            raise invalid(f"Metadata value for '{key}' must be a string.", param=f"metadata[{key}]")
        if len(key) > METADATA_KEY_MAX:
            raise invalid(
                f"Metadata keys can have up to {METADATA_KEY_MAX} characters; '{key}' has {len(key)}.",
                param=f"metadata[{key}]",
            )
        if len(raw) > METADATA_VALUE_MAX:
            raise invalid(
                f"Metadata values can have up to {METADATA_VALUE_MAX} characters; '{key}' has {len(raw)}.",
                param=f"metadata[{key}]",
            )
        if raw == "":
            merged.pop(key, None)
        else:
            merged[key] = raw
    if len(merged) > METADATA_MAX_KEYS:
        raise invalid(
            f"Metadata can have up to {METADATA_MAX_KEYS} keys; this has {len(merged)}.", param="metadata"
        )
    return merged


def _string_setter(key: str) -> Callable[[Any, dict[str, Any]], str | None]:
    max_length = 512 if key == "email" else 5000
    return lambda value, _data: _nullable(value, key, max_length)


def _tax_exempt(value: Any, _data: dict[str, Any]) -> str:
    if value not in _TAX_EXEMPT:
        choices = ", ".join(_TAX_EXEMPT)
        raise invalid(f"Invalid tax_exempt: must be one of {choices}", param="tax_exempt")
    return value


def _invoice_settings(value: Any, data: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) - set(_INVOICE_SETTINGS):
        raise invalid("Invalid hash: invoice_settings.", param="invoice_settings")
    return {**data["invoice_settings"], **{k: v or None for k, v in value.items()}}


# Parameter → its attribute's new value, from the value sent and the customer's current attributes.
# An allowed parameter without a setter (`expand`) changes no attribute.
_SETTERS: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    **{key: _string_setter(key) for key in _STRING_FIELDS},
    "address": lambda value, data: _address(value, data.get("address"), "address"),
    "shipping": lambda value, data: _shipping(value, data.get("shipping")),
    "metadata": lambda value, data: metadata_merge(data.get("metadata") or {}, value),
    "balance": lambda value, _data: as_int(value, "balance"),
    "preferred_locales": lambda value, _data: as_list(value, "preferred_locales"),
    "tax_exempt": _tax_exempt,
    "invoice_settings": _invoice_settings,
}


def _apply(data: dict[str, Any], params: dict[str, Any], allowed: set[str]) -> dict[str, Any]:
    _unknown_params(params, allowed)
    data = dict(data)
    for key, value in params.items():
        setter = _SETTERS.get(key)
        if setter is not None:
            data[key] = setter(value, data)
    return data


def _tax_ids(raw: Any, *, customer_id: str, livemode: bool, created: int) -> list[dict]:
    tax_ids = []
    for index, item in enumerate(as_list(raw, "tax_id_data")):
        if not isinstance(item, dict) or not item.get("type") or not item.get("value"):
            raise invalid("Each tax_id_data entry needs a type and a value.", param=f"tax_id_data[{index}]")
        tax_ids.append(
            {
                "id": stripe_id("txi_"),
                "object": "tax_id",
                "country": item["value"][:2].upper() if item["type"] == "eu_vat" else None,
                "created": created,
                "customer": customer_id,
                "livemode": livemode,
                "type": item["type"],
                "value": item["value"],
                "verification": None,
            }
        )
    return tax_ids


def customer_create(caller: Caller, params: dict[str, Any], *, created: int | None = None) -> dict[str, Any]:
    params = dict(params)
    expand = as_list(params.get("expand"), "expand")
    tax_id_data = params.pop("tax_id_data", None)
    customer_id = stripe_id("cus_", 14)
    created = created or now_ts()
    base = {
        "id": customer_id,
        "object": "customer",
        "address": None,
        "balance": 0,
        "business_name": None,
        "created": created,
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": None,
        "individual_name": None,
        "invoice_prefix": secrets.token_hex(4).upper(),
        "invoice_settings": dict.fromkeys(_INVOICE_SETTINGS),
        "livemode": caller.livemode,
        "metadata": {},
        "name": None,
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }
    data = _apply(base, params, _CUSTOMER_PARAMS)
    row = Customer.objects.create(
        account=caller.account,
        livemode=caller.livemode,
        stripe_id=customer_id,
        created=created,
        email=data["email"] or "",
        data=data,
        tax_ids=_tax_ids(tax_id_data, customer_id=customer_id, livemode=caller.livemode, created=created),
    )
    event_emit(caller, "customer.created", customer_render(row))
    return customer_render(row, expand)


def customer_retrieve(caller: Caller, customer_id: str, params: dict[str, Any]) -> dict[str, Any]:
    row = _customer_row(caller, customer_id)
    return customer_render(row, as_list(params.get("expand"), "expand"))


def customer_update(caller: Caller, customer_id: str, params: dict[str, Any]) -> dict[str, Any]:
    row = _customer_row(caller, customer_id, for_update=True)
    expand = as_list(params.get("expand"), "expand")
    old = row.data
    new = _apply(old, params, _CUSTOMER_PARAMS)
    previous = previous_attributes(old, new)
    if previous:
        row.data = new
        row.email = new["email"] or ""
        row.save(update_fields=["data", "email"])
        # Stripe emits no event for an update that changes nothing.
        event_emit(caller, "customer.updated", customer_render(row), previous)
    return customer_render(row, expand)


def previous_attributes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Old values of the changed top-level attributes; for metadata only the changed keys.

    The metadata rule is *unconfirmed* in Stripe's documentation; it lives here only.
    """
    previous: dict[str, Any] = {}
    for key, value in new.items():
        if old.get(key) == value:
            continue
        if key == "metadata":
            before, after = old.get(key) or {}, value or {}
            changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
            previous[key] = {k: before.get(k) for k in sorted(changed)}
        else:
            previous[key] = old.get(key)
    return previous


def customer_delete(caller: Caller, customer_id: str) -> dict[str, Any]:
    row = _customer_row(caller, customer_id, for_update=True)
    snapshot = customer_render(row)
    row.deleted = True
    row.save(update_fields=["deleted"])
    event_emit(caller, "customer.deleted", snapshot)
    return customer_render(row)


def customer_list(caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    unknown = set(params) - {"limit", "starting_after", "ending_before", "email", "created", "expand"}
    if unknown:
        name = sorted(unknown)[0]
        raise invalid(f"Received unknown parameter: {name}", param=name)
    expand = []
    for path in as_list(params.get("expand"), "expand"):
        if not path.startswith("data."):
            raise invalid(f"This property cannot be expanded ({path}).", param="expand")
        expand.append(path.removeprefix("data."))
    rows = _customers(caller).filter(deleted=False)
    if "email" in params:
        rows = rows.filter(email=params["email"])
    rows = _created_filter(rows, params.get("created"))
    return paginate(
        rows, _customers(caller), params, url="/v1/customers", render=lambda r: customer_render(r, expand)
    )


def _created_filter(rows: QuerySet, created: Any) -> QuerySet:
    if created in (None, ""):
        return rows
    if not isinstance(created, dict):
        return rows.filter(created=as_int(created, "created"))
    unknown = set(created) - {"gt", "gte", "lt", "lte"}
    if unknown:
        name = f"created[{sorted(unknown)[0]}]"
        raise invalid(f"Received unknown parameter: {name}", param=name)
    for op in ("gt", "gte", "lt", "lte"):
        if op in created:
            rows = rows.filter(**{f"created__{op}": as_int(created[op], f"created[{op}]")})
    return rows


def paginate(
    rows: QuerySet, cursor_rows: QuerySet, params: dict[str, Any], *, url: str, render: Callable[[Any], dict]
) -> dict[str, Any]:
    """Newest first; `starting_after` pages towards older objects, `ending_before` towards newer."""
    limit = as_int(params.get("limit", 10), "limit", low=1, high=100)
    after, before = params.get("starting_after"), params.get("ending_before")
    if after:
        cursor = _cursor(cursor_rows, after, "starting_after")
        rows = rows.filter(Q(created__lt=cursor.created) | Q(created=cursor.created, id__lt=cursor.id))
    if before and not after:
        cursor = _cursor(cursor_rows, before, "ending_before")
        rows = rows.filter(Q(created__gt=cursor.created) | Q(created=cursor.created, id__gt=cursor.id))
        page = list(rows.order_by("created", "id")[: limit + 1])
        has_more = len(page) > limit
        page = list(reversed(page[:limit]))
    else:
        page = list(rows.order_by("-created", "-id")[: limit + 1])
        has_more = len(page) > limit
        page = page[:limit]
    return {"object": "list", "data": [render(r) for r in page], "has_more": has_more, "url": url}


def _cursor(rows: QuerySet, object_id: str, param: str):
    cursor = rows.filter(stripe_id=object_id).first()
    if cursor is None:
        raise missing("object", object_id, param)
    return cursor


# --- webhook endpoints -----------------------------------------------------------------------


def _endpoints(caller: Caller) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(account=caller.account, livemode=caller.livemode)


def endpoint_render(endpoint: WebhookEndpoint, *, with_secret: bool = False) -> dict[str, Any]:
    body = {
        "id": endpoint.stripe_id,
        "object": "webhook_endpoint",
        "api_version": endpoint.api_version or None,
        "application": None,
        "created": endpoint.created,
        "description": endpoint.description or None,
        "enabled_events": endpoint.enabled_events,
        "livemode": endpoint.livemode,
        "metadata": endpoint.metadata,
        "status": endpoint.status,
        "url": endpoint.url,
    }
    if with_secret:
        # Stripe shows the signing secret in the API only in the answer to the creation.
        body["secret"] = endpoint.secret
    return body


def api_version_check(value: Any, param: str = "api_version") -> str:
    if not isinstance(value, str) or not _API_VERSION_FORMAT.match(value):
        raise invalid(f"Invalid {param}: {value!r} is not an API version (like {API_VERSION}).", param=param)
    return value


def _unknown_params(params: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(params) - allowed
    if unknown:
        name = sorted(unknown)[0]
        raise invalid(f"Received unknown parameter: {name}", param=name)


def _no_expand(params: dict[str, Any]) -> None:
    for path in as_list(params.get("expand"), "expand"):
        raise invalid(f"This property cannot be expanded ({path}).", param="expand")


def webhook_endpoint_create(caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    allowed = {"url", "enabled_events", "api_version", "description", "metadata", "connect", "expand"}
    unknown = set(params) - allowed
    if unknown:
        name = sorted(unknown)[0]
        raise invalid(f"Received unknown parameter: {name}", param=name)
    url = params.get("url")
    if not url or not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise invalid("Missing or invalid required param: url.", param="url")
    events = as_list(params.get("enabled_events"), "enabled_events")
    if not events:
        raise invalid("Missing required param: enabled_events.", param="enabled_events")
    if params.get("api_version"):
        api_version_check(params["api_version"])
    endpoint = WebhookEndpoint.objects.create(
        account=caller.account,
        livemode=caller.livemode,
        stripe_id=stripe_id("we_"),
        url=url,
        enabled_events=events,
        api_version=params.get("api_version") or "",
        connect=str(params.get("connect", "")).lower() == "true",
        description=params.get("description") or "",
        metadata=metadata_merge({}, params.get("metadata") or {}),
        secret=stripe_id("whsec_", 32),
    )
    return endpoint_render(endpoint, with_secret=True)


def webhook_endpoint_retrieve(caller: Caller, endpoint_id: str) -> dict[str, Any]:
    endpoint = _endpoints(caller).filter(stripe_id=endpoint_id).first()
    if endpoint is None:
        raise missing("webhook endpoint", endpoint_id)
    return endpoint_render(endpoint)


def webhook_endpoint_list(caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    _unknown_params(params, {"limit", "starting_after", "ending_before", "expand"})
    _no_expand(params)
    rows = _endpoints(caller)
    return paginate(rows, rows, params, url="/v1/webhook_endpoints", render=endpoint_render)


def webhook_endpoint_delete(caller: Caller, endpoint_id: str) -> dict[str, Any]:
    deleted, _ = _endpoints(caller).filter(stripe_id=endpoint_id).delete()
    if not deleted:
        raise missing("webhook endpoint", endpoint_id)
    return {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}


# --- events ----------------------------------------------------------------------------------


def event_emit(caller: Caller, event_type: str, obj: dict[str, Any], previous: dict | None = None) -> Event:
    """Store an event and deliver it to the listening endpoints once the transaction commits.

    It is created in the account's default API version; an endpoint that pinned one gets it
    stamped with that version on delivery. The account's own endpoints get it, and the Connect
    endpoints of the platforms whose apps it installed (with `account` set).
    """
    listening = [e for e in _endpoints(caller) if e.listens_to(event_type)]
    listening += connect_endpoints(account=caller.account, livemode=caller.livemode, event_type=event_type)
    return event_emit_to(caller, event_type, obj, listening, previous)


def connect_endpoints(
    *, account: Account, livemode: bool, event_type: str, apps: list[OAuthApp] | None = None
) -> list[WebhookEndpoint]:
    """The Connect endpoints of the platforms whose apps `account` has installed, listening."""
    grants = OAuthGrant.objects.filter(account=account, livemode=livemode, revoked=False)
    if apps is not None:
        grants = grants.filter(app__in=apps)
    # Most accounts installed no app: then one small query, and no look for endpoints.
    platforms = set(grants.values_list("app__platform", flat=True))
    if not platforms:
        return []
    endpoints = WebhookEndpoint.objects.filter(account__in=platforms, livemode=livemode, connect=True)
    return [e for e in endpoints.order_by("id") if e.listens_to(event_type)]


def event_emit_to(
    caller: Caller,
    event_type: str,
    obj: dict[str, Any],
    listening: list[WebhookEndpoint],
    previous: dict | None = None,
) -> Event:
    """Store an event destined to `listening` and deliver it to them once the transaction commits."""
    data: dict[str, Any] = {"object": obj}
    if previous is not None:
        data["previous_attributes"] = previous
    event_id = stripe_id("evt_")
    created = now_ts()
    payload = {
        "id": event_id,
        "object": "event",
        "api_version": caller.account.api_version,
        "created": created,
        "data": data,
        "livemode": caller.livemode,
        "pending_webhooks": len(listening),
        "request": {"id": caller.request_id, "idempotency_key": caller.idempotency_key},
        "type": event_type,
    }
    event = Event.objects.create(
        account=caller.account,
        livemode=caller.livemode,
        stripe_id=event_id,
        type=event_type,
        created=created,
        payload=payload,
        held=caller.account.delivery_reorder_batch > 1 and bool(listening),
        destined=[e.stripe_id for e in listening],
        pending_webhooks=len(listening),
    )
    if listening:
        event_deliver_on_commit(event)
    return event


def _events(caller: Caller) -> QuerySet[Event]:
    """The caller's events of the past 30 days (Stripe keeps them listable that long)."""
    return Event.objects.filter(
        account=caller.account, livemode=caller.livemode, created__gte=now_ts() - EVENT_RETENTION_SECONDS
    )


def event_retrieve(caller: Caller, event_id: str) -> dict[str, Any]:
    event = _events(caller).filter(stripe_id=event_id).first()
    if event is None:
        raise missing("event", event_id)
    return event.render()


def _as_bool(value: Any, param: str) -> bool:
    if value in ("true", "false"):
        return value == "true"
    raise invalid(f"Invalid boolean: {value}", param=param)


def event_list(caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    """Newest first; `type` (one name, or a group like `customer.*`) or `types[]` (up to 20 exact
    names, not both), `created[gt|gte|lt|lte]`, `delivery_success`, cursors, `limit` ≤ 100."""
    allowed = {
        "created",
        "delivery_success",
        "ending_before",
        "expand",
        "limit",
        "starting_after",
        "type",
        "types",
    }
    _unknown_params(params, allowed)
    _no_expand(params)
    rows = _events(caller)
    if params.get("type") and params.get("types"):
        raise invalid("You may pass either type or types, but not both.", param="types")
    rows = _type_filter(rows, params.get("type"))
    rows = _types_filter(rows, params.get("types"))
    if "delivery_success" in params:
        # false: events some endpoint has not yet answered with a 2xx (pending or failed).
        if _as_bool(params["delivery_success"], "delivery_success"):
            rows = rows.filter(pending_webhooks=0)
        else:
            rows = rows.filter(pending_webhooks__gt=0)
    rows = _created_filter(rows, params.get("created"))
    return paginate(rows, _events(caller), params, url="/v1/events", render=lambda e: e.render())


def _type_filter(rows: QuerySet[Event], kind: Any) -> QuerySet[Event]:
    """`type`: one event name, a group such as `customer.*`, or `*` for all."""
    if not kind:
        return rows
    if not isinstance(kind, str):
        raise invalid("Invalid string: type must be a string.", param="type")
    if kind.endswith(".*"):
        return rows.filter(type__startswith=kind[:-1])
    if kind != "*":
        return rows.filter(type=kind)
    return rows


def _types_filter(rows: QuerySet[Event], raw: Any) -> QuerySet[Event]:
    """`types[]`: exact event names only."""
    types = as_list(raw, "types")
    if len(types) > EVENT_TYPES_MAX:
        raise invalid(f"Invalid array: types can have at most {EVENT_TYPES_MAX} entries.", param="types")
    if any(not isinstance(t, str) for t in types):
        raise invalid("Invalid array: types must be strings.", param="types")
    if types:
        return rows.filter(type__in=types)
    return rows
