"""What the emulator's collections look like: customer validation and bodies, the five lists,
and the paging, filtering and sorting every collection shares."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import Model
from django.http import HttpRequest

from . import models
from .errors import ApiError, ValidationErrors
from .filters import FieldSpec, FilterError, check_filter, parse_filter

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 1000
MAX_CUSTOMER_NUMBER = 999_999_999

# Maximum lengths from the reference; longer → 400 on that field.
TEXT_LIMITS = {
    "name": 255,
    "email": 255,
    "address": 510,
    "city": 50,
    "zip": 30,
    "country": 50,
    "corporateIdentificationNumber": 40,
    "telephoneAndFaxNumber": 255,
    "mobilePhone": 50,
    "website": 255,
    "publicEntryNumber": 50,
    # Not limited in the reference; capped so a runaway value is still refused.
    "pNumber": 255,
    "vatNumber": 255,
}
# Field → (key inside the reference object, path of its `self` URL).
REFERENCES = {
    "customerGroup": ("customerGroupNumber", "customer-groups"),
    "paymentTerms": ("paymentTermsNumber", "payment-terms"),
    "vatZone": ("vatZoneNumber", "vat-zones"),
    "layout": ("layoutNumber", "layouts"),
    "attention": ("customerContactNumber", None),
    "customerContact": ("customerContactNumber", None),
    "salesPerson": ("employeeNumber", "employees"),
}
REQUIRED_REFERENCES = ("customerGroup", "paymentTerms", "vatZone")
BOOLEANS = ("barred", "eInvoicingDisabledByDefault")
EAN_PATTERN = re.compile(r"\d{13}")

CUSTOMER_FILTERS: dict[str, FieldSpec] = {
    **{name: FieldSpec(str, like=True) for name in TEXT_LIMITS},
    "ean": FieldSpec(str, like=True),
    "currency": FieldSpec(str),
    "lastUpdated": FieldSpec(str),
    "customerNumber": FieldSpec(int),
    "balance": FieldSpec(float),
    "dueAmount": FieldSpec(float),
    "creditLimit": FieldSpec(float),
    "barred": FieldSpec(bool),
}


def validate_customer(
    payload: Any, *, agreement: models.Agreement, number_in_url: int | None = None
) -> tuple[int | None, dict[str, Any]]:
    """Check a create/replace body; return (customer number or None, the fields to store)."""
    if not isinstance(payload, dict):
        raise ApiError(400, "The body must be a JSON object.", error_code="E00500")
    errors = ValidationErrors()
    data: dict[str, Any] = {}

    number = payload.get("customerNumber")
    if number is not None:
        if isinstance(number, bool) or not isinstance(number, int):
            errors.add("customerNumber", "Customer number must be a whole number.", "E06001", number)
        elif not 1 <= number <= MAX_CUSTOMER_NUMBER:
            errors.add(
                "customerNumber",
                f"Customer number must be between 1 and {MAX_CUSTOMER_NUMBER}.",
                "E06002",
                number,
            )
        elif number_in_url is not None and number != number_in_url:
            errors.add("customerNumber", "Customer number cannot be changed.", "E06003", number)

    name = payload.get("name")
    if not isinstance(name, str) or not name.strip():
        errors.add("name", "Name is required.", "E06000", name)
    for field, limit in TEXT_LIMITS.items():
        value = payload.get(field)
        if value is None:
            continue
        if not isinstance(value, str):
            errors.add(field, f"{field} must be text.", "E06004", value)
        elif len(value) > limit:
            errors.add(field, f"{field} may be at most {limit} characters.", "E06005", value)
        else:
            data[field] = value

    ean = payload.get("ean")
    if ean is not None:
        if isinstance(ean, str) and EAN_PATTERN.fullmatch(ean):
            data["ean"] = ean
        else:
            errors.add("ean", "EAN must be 13 digits.", "E06006", ean)

    currency = payload.get("currency")
    if not isinstance(currency, str) or not currency:
        errors.add("currency", "Currency is required.", "E06000", currency)
    elif not agreement.currencies.filter(code=currency.upper()).exists():
        errors.add("currency", f"Currency {currency} does not exist.", "E06007", currency)
    else:
        data["currency"] = currency.upper()

    known = {
        "customerGroup": agreement.customer_groups,
        "paymentTerms": agreement.payment_terms,
        "vatZone": agreement.vat_zones,
        "layout": agreement.layouts,
    }
    for field, (key, _path) in REFERENCES.items():
        value = payload.get(field)
        if value is None:
            if field in REQUIRED_REFERENCES:
                errors.add(field, f"{field} is required.", "E06000", None, hint=f"Provide {field}.{key}.")
            continue
        ref = value.get(key) if isinstance(value, dict) else None
        if isinstance(ref, bool) or not isinstance(ref, int):
            errors.add(field, f"{field}.{key} must be a whole number.", "E06008", value)
        elif field in known and not known[field].filter(number=ref).exists():
            errors.add(field, f"{field} {ref} does not exist.", "E06009", value)
        else:
            data[field] = {key: ref}

    for field in BOOLEANS:
        value = payload.get(field)
        if value is not None:
            if isinstance(value, bool):
                data[field] = value
            else:
                errors.add(field, f"{field} must be true or false.", "E06010", value)
    credit_limit = payload.get("creditLimit")
    if credit_limit is not None:
        if isinstance(credit_limit, bool) or not isinstance(credit_limit, int | float):
            errors.add("creditLimit", "creditLimit must be a number.", "E06011", credit_limit)
        else:
            data["creditLimit"] = credit_limit

    errors.raise_if_any()
    return number, data


def customer_body(customer: models.Customer, base: str) -> dict[str, Any]:
    n = customer.number
    url = f"{base}/customers/{n}"
    body: dict[str, Any] = {"customerNumber": n}
    for field, value in customer.data.items():
        if field in REFERENCES:
            key, path = REFERENCES[field]
            ref = value[key]
            target = f"{url}/contacts/{ref}" if path is None else f"{base}/{path}/{ref}"
            body[field] = {key: ref, "self": target}
        else:
            body[field] = value
    body.update(
        {
            "balance": float(customer.balance),
            "dueAmount": float(customer.due_amount),
            "lastUpdated": customer.last_updated.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "contacts": f"{url}/contacts",
            "templates": {
                "invoice": f"{url}/templates/invoice",
                "invoiceLine": f"{url}/templates/invoiceline",
                "self": f"{url}/templates",
            },
            "totals": {
                "drafts": f"{base}/invoices/totals/drafts/customers/{n}",
                "booked": f"{base}/invoices/totals/booked/customers/{n}",
                "self": f"{url}/totals",
            },
            "deliveryLocations": f"{url}/delivery-locations",
            "invoices": {
                "drafts": f"{url}/invoices/drafts",
                "booked": f"{url}/invoices/booked",
                "self": f"{url}/invoices",
            },
            "self": url,
        }
    )
    return body


def customer_record(customer: models.Customer) -> dict[str, Any]:
    """The flat view filters and sorting see."""
    record: dict[str, Any] = {name: customer.data.get(name) for name in CUSTOMER_FILTERS}
    record.update(
        customerNumber=customer.number,
        balance=float(customer.balance),
        dueAmount=float(customer.due_amount),
        barred=customer.data.get("barred", False),
        lastUpdated=customer.last_updated.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    return record


@dataclass(frozen=True)
class ListResource:
    """One of the lists behind the defaults tab: `/payment-terms`, `/vat-zones`, ..."""

    related_name: str
    key_field: str  # the model field that is the item's number or code in URLs
    body: Callable[[Any, str], dict[str, Any]]
    filters: dict[str, FieldSpec]

    def record(self, item: Model) -> dict[str, Any]:
        body = self.body(item, "")
        return {name: body.get(name) for name in self.filters}


LISTS: dict[str, ListResource] = {
    "payment-terms": ListResource(
        "payment_terms",
        "number",
        lambda o, base: {
            "paymentTermsNumber": o.number,
            "daysOfCredit": o.days_of_credit,
            "name": o.name,
            "paymentTermsType": o.payment_terms_type,
            "self": f"{base}/payment-terms/{o.number}",
        },
        {
            "paymentTermsNumber": FieldSpec(int),
            "name": FieldSpec(str, like=True),
            "daysOfCredit": FieldSpec(int),
            "paymentTermsType": FieldSpec(str),
        },
    ),
    "customer-groups": ListResource(
        "customer_groups",
        "number",
        lambda o, base: {
            "customerGroupNumber": o.number,
            "name": o.name,
            "account": {"accountNumber": o.account_number, "self": f"{base}/accounts/{o.account_number}"},
            "customers": f"{base}/customer-groups/{o.number}/customers",
            "self": f"{base}/customer-groups/{o.number}",
        },
        {"customerGroupNumber": FieldSpec(int), "name": FieldSpec(str, like=True)},
    ),
    "vat-zones": ListResource(
        "vat_zones",
        "number",
        lambda o, base: {
            "vatZoneNumber": o.number,
            "name": o.name,
            "enabledForCustomer": o.enabled_for_customer,
            "enabledForSupplier": o.enabled_for_supplier,
            "self": f"{base}/vat-zones/{o.number}",
        },
        {
            "vatZoneNumber": FieldSpec(int),
            "name": FieldSpec(str, like=True),
            "enabledForCustomer": FieldSpec(bool),
            "enabledForSupplier": FieldSpec(bool),
        },
    ),
    "currencies": ListResource(
        "currencies",
        "code",
        lambda o, base: {
            "code": o.code,
            "name": o.name,
            "isoNumber": o.iso_number,
            "self": f"{base}/currencies/{o.code}",
        },
        {"code": FieldSpec(str), "name": FieldSpec(str, like=True), "isoNumber": FieldSpec(str)},
    ),
    "layouts": ListResource(
        "layouts",
        "number",
        lambda o, base: {
            "layoutNumber": o.number,
            "name": o.name,
            "deleted": False,
            "self": f"{base}/layouts/{o.number}",
        },
        {"layoutNumber": FieldSpec(int), "name": FieldSpec(str, like=True)},
    ),
}


def _int_param(request: HttpRequest, name: str, default: int) -> int:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, f"'{name}' must be a whole number.", error_code="E00301") from None


def _sort_key(field: str):
    def key(record: dict[str, Any]):
        value = record.get(field)
        # Nulls last in ascending order; strings compare case-insensitively.
        return (value is None, value.casefold() if isinstance(value, str) else value)

    return key


def collection_response(
    request: HttpRequest,
    *,
    base: str,
    path: str,
    rows: Sequence[Any],
    record: Callable[[Any], dict[str, Any]],
    body: Callable[[Any], dict[str, Any]],
    filters: dict[str, FieldSpec],
    meta_data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Filter, sort and page `rows` as every e-conomic collection does."""
    skip_pages = _int_param(request, "skippages", 0)
    page_size = _int_param(request, "pagesize", DEFAULT_PAGE_SIZE)
    if skip_pages < 0:
        raise ApiError(400, "'skippages' cannot be negative.", error_code="E00302")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ApiError(400, f"'pagesize' must be between 1 and {MAX_PAGE_SIZE}.", error_code="E00303")

    pairs = [(record(row), row) for row in rows]
    total = len(pairs)
    filter_text = request.GET.get("filter")
    if filter_text:
        try:
            node = parse_filter(filter_text)
            check_filter(node, filters)
            pairs = [pair for pair in pairs if node.matches(pair[0])]
        except FilterError as exc:
            raise ApiError(400, f"Invalid filter: {exc}.", error_code="E00310") from None
    sort_text = request.GET.get("sort")
    if sort_text:
        # Stable sorts applied last key first give the multi-key order.
        for term in reversed(sort_text.split(",")):
            field = term.strip().lstrip("-")
            if field not in filters:
                raise ApiError(400, f"Cannot sort on '{field}'.", error_code="E00311")
            pairs.sort(key=lambda pair: _sort_key(field)(pair[0]), reverse=term.strip().startswith("-"))

    results = len(pairs)
    page = pairs[skip_pages * page_size : (skip_pages + 1) * page_size]
    last_page = max(0, math.ceil(results / page_size) - 1)

    def page_url(number: int) -> str:
        params = {"skippages": number, "pagesize": page_size}
        for name in ("filter", "sort"):
            if request.GET.get(name):
                params[name] = request.GET[name]
        return f"{base}/{path}?{urlencode(params, safe='$:*,()[]')}"

    pagination = {
        "maxPageSizeAllowed": MAX_PAGE_SIZE,
        "skipPages": skip_pages,
        "pageSize": page_size,
        "results": results,
        "resultsWithoutFilter": total,
        "firstPage": page_url(0),
        "lastPage": page_url(last_page),
    }
    if skip_pages < last_page:
        pagination["nextPage"] = page_url(skip_pages + 1)
    if 0 < skip_pages <= last_page + 1:
        pagination["previousPage"] = page_url(skip_pages - 1)
    response = {"collection": [body(row) for _, row in page], "pagination": pagination}
    if meta_data:
        response["metaData"] = meta_data
    response["self"] = request.build_absolute_uri()
    return response
