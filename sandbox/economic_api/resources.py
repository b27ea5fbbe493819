"""What the emulator's collections look like: customer validation and bodies, the five lists,
and the paging, filtering and sorting every collection shares."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db import connection
from django.db.models import Model
from django.http import HttpRequest

from . import models
from .errors import ApiError, ValidationErrors, count_entries, error_entry, validation_failed
from .filters import FieldSpec, FilterError, check_filter, parse_filter

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 1000
MAX_CUSTOMER_NUMBER = 999_999_999
# e-conomic's newer APIs stop classic page-based paging here (items past it need a cursor); the
# emulator does the same when an agreement's `paging_cap` fault asks for it (see faults.py).
NEWER_API_PAGING_CAP = 10_000

# Text fields and their (minimum, maximum) lengths, from the reference's Customers section;
# outside them → 400 on that field. `pNumber` and `currency` have an exact length.
TEXT_LENGTHS: dict[str, tuple[int, int]] = {
    "name": (0, 255),  # and required, not blank
    "email": (0, 255),
    "address": (0, 510),
    "city": (0, 50),
    "zip": (0, 30),
    "country": (0, 50),
    "corporateIdentificationNumber": (0, 40),
    "telephoneAndFaxNumber": (0, 255),
    "mobilePhone": (0, 50),
    "website": (0, 255),
    "publicEntryNumber": (0, 50),
    "ean": (0, 40),  # no pattern (an earlier reading said 13 digits: wrong)
    "vatNumber": (0, 50),
    "pNumber": (10, 10),
    "currency": (3, 3),  # and required, and one of the agreement's currencies
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
# The lists a currency or reference must name an entry of: field → (model, the entry's column).
# The other references (contacts, sales people) are not checked: the emulator has no such lists.
LIST_TABLES: dict[str, tuple[type[Model], str]] = {
    "currency": (models.Currency, "code"),
    "customerGroup": (models.CustomerGroup, "number"),
    "paymentTerms": (models.PaymentTerm, "number"),
    "vatZone": (models.VatZone, "number"),
    "layout": (models.Layout, "number"),
}
BOOLEANS = ("barred", "eInvoicingDisabledByDefault")

# THE place for what the customers collection lets a client filter and sort on (reference,
# "Filtering": confirmed from e-conomic's Customers docs). Anything else → 400 naming the property
# (e.g. mobilePhone, pNumber, dueAmount, the reference objects). Which text properties allow
# `$like:` is not published ("only some"); the emulator allows it on all text ones.
CUSTOMER_FILTERS: dict[str, FieldSpec] = {
    "address": FieldSpec(str, like=True),
    "balance": FieldSpec(float),
    "barred": FieldSpec(bool),
    "city": FieldSpec(str, like=True),
    "corporateIdentificationNumber": FieldSpec(str, like=True),
    "country": FieldSpec(str, like=True),
    "creditLimit": FieldSpec(float),
    "currency": FieldSpec(str),
    "customerNumber": FieldSpec(int),
    "ean": FieldSpec(str, like=True),
    "email": FieldSpec(str, like=True),
    "lastUpdated": FieldSpec(str),
    "name": FieldSpec(str, like=True),
    "publicEntryNumber": FieldSpec(str, like=True),
    "telephoneAndFaxNumber": FieldSpec(str, like=True),
    "vatNumber": FieldSpec(str, like=True),
    "website": FieldSpec(str, like=True),
    "zip": FieldSpec(str, like=True),
}
# Sortable: the same set minus `barred`.
CUSTOMER_SORTS: frozenset[str] = frozenset(CUSTOMER_FILTERS) - {"barred"}


def _length_problem(field: str, value: str) -> str | None:
    shortest, longest = TEXT_LENGTHS[field]
    if shortest <= len(value) <= longest:
        return None
    if shortest == longest:
        return f"{field} must be exactly {longest} characters; it is {len(value)}."
    if len(value) > longest:
        return f"{field} may be at most {longest} characters; it is {len(value)}."
    return f"{field} must be at least {shortest} characters; it is {len(value)}."


def validate_customer(
    payload: Any, *, agreement: models.Agreement, number_in_url: int | None = None
) -> tuple[int | None, dict[str, Any]]:
    """Check a create/replace body; return (customer number or None, the fields to store)."""
    if not isinstance(payload, dict):
        raise ApiError(400, "The body must be a JSON object.", error_code="E00500")
    number, data, errors = check_customer(payload, agreement=agreement, number_in_url=number_in_url)
    errors.raise_if_any()
    return number, data


def check_customer(
    payload: dict[str, Any], *, agreement: models.Agreement, number_in_url: int | None = None
) -> tuple[int | None, dict[str, Any], ValidationErrors]:
    """Validate one customer object; the errors are collected, not raised."""
    errors = ValidationErrors()
    data: dict[str, Any] = {}
    number = payload.get("customerNumber")
    entries = ListEntries.named_in(payload, agreement)
    # The order is part of the answer: `errors` lists the fields in it, and the currency check
    # relies on the text checks having run.
    _check_number(number, number_in_url, errors)
    _check_texts(payload, data, errors)
    _check_currency(payload.get("currency"), entries, data, errors)
    _check_references(payload, entries, data, errors)
    _check_booleans(payload, data, errors)
    _check_credit_limit(payload.get("creditLimit"), data, errors)
    return number, data, errors


def _check_number(number: Any, number_in_url: int | None, errors: ValidationErrors) -> None:
    if number is None:
        return
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


def _check_texts(payload: dict[str, Any], data: dict[str, Any], errors: ValidationErrors) -> None:
    name = payload.get("name")
    if not isinstance(name, str) or not name.strip():
        errors.add("name", "Name is required.", "E06000", name)
    for field in TEXT_LENGTHS:
        value = payload.get(field)
        if value is None:
            continue
        if not isinstance(value, str):
            errors.add(field, f"{field} must be text.", "E06004", value)
        elif problem := _length_problem(field, value):
            errors.add(field, problem, "E06005", value)
        elif field != "currency":  # stored by _check_currency once the agreement knows it
            data[field] = value


class ListEntries:
    """Which of the list entries a customer object names exist in the agreement's lists: one query
    for the currency and every reference, asked before the checks that use the answers. It asks
    for exactly the values those checks look up (a currency of the right length, a reference
    number that is a whole number), and answering for any other value is a mistake (KeyError)."""

    def __init__(self, found: dict[tuple[str, Any], bool]):
        self.found = found

    @classmethod
    def named_in(cls, payload: dict[str, Any], agreement: models.Agreement) -> ListEntries:
        wanted: list[tuple[str, Any]] = []
        currency = payload.get("currency")
        if isinstance(currency, str) and not _length_problem("currency", currency):
            wanted.append(("currency", currency.upper()))
        for field, (key, _) in REFERENCES.items():
            value = payload.get(field)
            ref = value.get(key) if isinstance(value, dict) else None
            if field in LIST_TABLES and isinstance(ref, int) and not isinstance(ref, bool):
                wanted.append((field, ref))
        if not wanted:
            return cls({})
        # A raw UNION ALL: the ORM would compile one query per list, and the emulators' CPU on the
        # bench's machine is the product's loss.
        sql = " UNION ALL ".join(
            f"SELECT {index} FROM {connection.ops.quote_name(LIST_TABLES[field][0]._meta.db_table)}"
            f" WHERE agreement_id = %s AND {LIST_TABLES[field][1]} = %s"
            for index, (field, _) in enumerate(wanted)
        )
        params = [p for _, value in wanted for p in (agreement.pk, value)]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            present = {row[0] for row in cursor.fetchall()}
        return cls({pair: index in present for index, pair in enumerate(wanted)})

    def exists(self, field: str, value: Any) -> bool:
        return self.found[field, value]


def _check_currency(
    currency: Any, entries: ListEntries, data: dict[str, Any], errors: ValidationErrors
) -> None:
    if currency is None or currency == "":
        errors.add("currency", "Currency is required.", "E06000", currency)
    elif "currency" not in errors.errors:
        if entries.exists("currency", currency.upper()):
            data["currency"] = currency.upper()
        else:
            errors.add("currency", f"Currency {currency} does not exist.", "E06007", currency)


def _check_references(
    payload: dict[str, Any], entries: ListEntries, data: dict[str, Any], errors: ValidationErrors
) -> None:
    for field, (key, path) in REFERENCES.items():
        value = payload.get(field)
        if value is None:
            # The whole object is missing: the error sits on the object (the reference's example).
            if field in REQUIRED_REFERENCES:
                errors.add(field, f"{field} is required.", "E06000", None, hint=f"Provide {field}.{key}.")
        elif not isinstance(value, dict):
            errors.add(field, f"{field} must be an object with {key}.", "E06008", value)
        else:
            ref = _reference_number(field, key, path, value.get(key), entries, errors)
            if ref is not None:
                data[field] = {key: ref}


def _reference_number(
    field: str, key: str, path: str | None, ref: Any, entries: ListEntries, errors: ValidationErrors
) -> int | None:
    """The number inside a reference object, or None once the problem with it is recorded."""
    # The object is there but its number is missing, not a number or unknown: the error is
    # nested the way the request nests, at errors.<field>.<key>.errors[].
    nested = f"{field}.{key}"
    if ref is None:
        errors.add(nested, f"{key} is required.", "E06000", None, hint=f"Provide {nested}.")
    elif isinstance(ref, bool) or not isinstance(ref, int):
        errors.add(nested, f"{key} must be a whole number.", "E06008", ref)
    elif field in LIST_TABLES and not entries.exists(field, ref):
        errors.add(nested, f"{field} {ref} does not exist.", "E06009", ref, hint=f"See GET /{path}.")
    else:
        return ref
    return None


def _check_booleans(payload: dict[str, Any], data: dict[str, Any], errors: ValidationErrors) -> None:
    for field in BOOLEANS:
        value = payload.get(field)
        if value is None:
            continue
        if isinstance(value, bool):
            data[field] = value
        else:
            errors.add(field, f"{field} must be true or false.", "E06010", value)


def _check_credit_limit(credit_limit: Any, data: dict[str, Any], errors: ValidationErrors) -> None:
    if credit_limit is None:
        return
    if isinstance(credit_limit, bool) or not isinstance(credit_limit, int | float):
        errors.add("creditLimit", "creditLimit must be a number.", "E06011", credit_limit)
    else:
        data["creditLimit"] = credit_limit


def refuse_customer_list(payload: list[Any], *, agreement: models.Agreement) -> ApiError:
    """A JSON array sent to POST /customers: the LIST-shaped error rule.

    e-conomic shapes `errors` like the request: an array body (as its bulk endpoints take, e.g.
    vouchers, where production answered `"errors": [{"entries": {"items": [{"date": ...}]}}]`)
    gets an array of errors, one entry per item in the same order. /customers creates one customer
    per request, so an array is always refused; each entry holds that item's own field errors
    (nested as for a single customer) and is `{}` for an item that would have been valid. Several
    problems in ONE customer stay a dict keyed by field, as the reference's example shows.
    """
    items: list[Any] = []
    for item in payload:
        if isinstance(item, dict):
            items.append(check_customer(item, agreement=agreement)[2].errors)
        else:
            entry = error_entry("", "Each item must be a customer object.", "E00500", item)
            items.append({"errors": [entry]})
    problems = count_entries(items)
    return validation_failed(
        items,
        message=(
            f"POST /customers takes one customer object, not a list of {len(payload)}; "
            f"{problems} {'error' if problems == 1 else 'errors'} found in the items."
        ),
    )


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


def _property_error(
    status_message: str, code: str, field: str, entry_message: str, entry_code: str, value: Any, hint: str
) -> ApiError:
    """A 400 about a query parameter, its `errors` naming the property at fault."""
    return ApiError(
        400,
        status_message,
        error_code=code,
        errors={field: {"errors": [error_entry(field, entry_message, entry_code, value, hint=hint)]}},
    )


def collection_response(
    request: HttpRequest,
    *,
    base: str,
    path: str,
    rows: Sequence[Any],
    record: Callable[[Any], dict[str, Any]],
    body: Callable[[Any], dict[str, Any]],
    filters: dict[str, FieldSpec],
    sorts: frozenset[str] | None = None,
    paging_cap: int = 0,
    meta_data: dict[str, Any] | None = None,
    total: int | None = None,
) -> dict[str, Any]:
    """Filter, sort and page `rows` as every e-conomic collection does.

    `sorts` defaults to the filterable properties. `paging_cap` > 0 makes page-based paging stop
    after that many items, as e-conomic's newer APIs do at 10 000: the page that reaches it is cut
    there and has no nextPage, a page starting past it is a 400 (a filter such as
    `customerNumber$gt:<last seen>` still reaches everything).
    `total` is the collection's size when `rows` are already narrowed to those the filter may
    admit (narrowing.py); by default every row is given.
    """
    skip_pages, page_size = _paging_params(request, paging_cap)
    pairs = [(record(row), row) for row in rows]
    total = len(pairs) if total is None else total
    pairs = _filter_pairs(pairs, request.GET.get("filter"), filters)
    _sort_pairs(pairs, request.GET.get("sort"), frozenset(filters) if sorts is None else sorts)

    results = len(pairs)
    reachable = min(results, paging_cap) if paging_cap else results
    start = skip_pages * page_size
    page = pairs[start : min(start + page_size, reachable)]
    pagination = _pagination(
        request, f"{base}/{path}", skip_pages, page_size, results=results, total=total, reachable=reachable
    )
    response = {"collection": [body(row) for _, row in page], "pagination": pagination}
    if meta_data:
        response["metaData"] = meta_data
    response["self"] = request.build_absolute_uri()
    return response


def _paging_params(request: HttpRequest, paging_cap: int) -> tuple[int, int]:
    """`skippages` and `pagesize`, checked (→ 400) before any row is looked at."""
    skip_pages = _int_param(request, "skippages", 0)
    page_size = _int_param(request, "pagesize", DEFAULT_PAGE_SIZE)
    if skip_pages < 0:
        raise ApiError(400, "'skippages' cannot be negative.", error_code="E00302")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ApiError(400, f"'pagesize' must be between 1 and {MAX_PAGE_SIZE}.", error_code="E00303")
    start = skip_pages * page_size
    if paging_cap and start >= paging_cap:
        raise _property_error(
            f"Page-based paging reaches the first {paging_cap} items only.",
            "E00304",
            "skippages",
            f"skippages {skip_pages} with pagesize {page_size} starts at item {start}, past the "
            f"first {paging_cap}.",
            "E00305",
            skip_pages,
            "Page with a filter such as customerNumber$gt:<last seen>, sorted by customerNumber.",
        )
    return skip_pages, page_size


def _filter_pairs(
    pairs: list[tuple[dict[str, Any], Any]], filter_text: str | None, filters: dict[str, FieldSpec]
) -> list[tuple[dict[str, Any], Any]]:
    if not filter_text:
        return pairs
    try:
        node = parse_filter(filter_text)
        check_filter(node, filters)
        return [pair for pair in pairs if node.matches(pair[0])]
    except FilterError as exc:
        if exc.property is None:
            raise ApiError(400, f"Invalid filter: {exc}.", error_code="E00310") from None
        raise _property_error(
            f"Invalid filter: {exc}.",
            "E00310",
            exc.property,
            f"{exc}.",
            "E00312",
            filter_text,
            f"Filterable properties: {', '.join(sorted(filters))}.",
        ) from None


def _sort_pairs(
    pairs: list[tuple[dict[str, Any], Any]], sort_text: str | None, sortable: frozenset[str]
) -> None:
    """Sort in place by `?sort=` (comma-separated properties, `-` for descending)."""
    if not sort_text:
        return
    # Stable sorts applied last key first give the multi-key order.
    for term in reversed(sort_text.split(",")):
        field = term.strip().lstrip("-")
        if field not in sortable:
            raise _property_error(
                f"Cannot sort on '{field}'.",
                "E00311",
                field,
                f"The property '{field}' cannot be sorted on.",
                "E00313",
                sort_text,
                f"Sortable properties: {', '.join(sorted(sortable))}.",
            )
        pairs.sort(key=lambda pair: _sort_key(field)(pair[0]), reverse=term.strip().startswith("-"))


def _pagination(
    request: HttpRequest,
    url: str,
    skip_pages: int,
    page_size: int,
    *,
    results: int,
    total: int,
    reachable: int,
) -> dict[str, Any]:
    last_page = max(0, math.ceil(reachable / page_size) - 1)

    def page_url(number: int) -> str:
        params = {"skippages": number, "pagesize": page_size}
        for name in ("filter", "sort"):
            if request.GET.get(name):
                params[name] = request.GET[name]
        return f"{url}?{urlencode(params, safe='$:*,()[]')}"

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
    return pagination
