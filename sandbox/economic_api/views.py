"""The emulated endpoints. Paths mirror restapi.e-conomic.com under /sandbox/economic/."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import faults, grants, notifications, resources
from .api import base_url, economic_api, json_body
from .errors import ApiError, ValidationErrors
from .models import Agreement, App, Customer, RequestLogEntry
from .narrowing import customers_to_read
from .seed import next_customer_number


def _not_allowed(request: HttpRequest) -> ApiError:
    return ApiError(405, f"{request.method} is not supported on this resource.", error_code="E04050")


@economic_api
def self_info(request: HttpRequest, agreement: Agreement) -> HttpResponse:
    if request.method != "GET":
        raise _not_allowed(request)
    app = request.economic_grant.app
    base = base_url(request)
    return JsonResponse(
        {
            "agreementNumber": agreement.agreement_number,
            "agreementType": {"agreementTypeNumber": 1, "name": "Small"},
            "application": {
                "appNumber": app.pk,
                "appPublicToken": app.public_token,
                "name": app.name,
                "requiredRoles": [{"name": "SuperUser", "roleNumber": 1}],
            },
            "company": {
                "name": agreement.company_name,
                "addressLine1": agreement.company_address,
                "zip": agreement.company_zip,
                "city": agreement.company_city,
                "country": agreement.company_country,
                "companyIdentificationNumber": agreement.company_vat_number,
                "vatNumber": agreement.company_vat_number,
            },
            "settings": {"baseCurrency": "DKK", "internationalLedger": False},
            "signupDate": agreement.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "user": {
                "agreementNumber": agreement.agreement_number,
                "loginId": agreement.user_email,
                "name": agreement.user_name,
                "email": agreement.user_email,
                "language": {"languageNumber": 1, "name": "Danish", "culture": "da-DK"},
            },
            "canSendElectronicInvoice": False,
            "canSendVoucherEmail": True,
            "self": f"{base}/self",
        }
    )


@economic_api
def customers(request: HttpRequest, agreement: Agreement) -> HttpResponse:
    base = base_url(request)
    if request.method == "GET":
        every = Customer.objects.filter(agreement=agreement).order_by("number")
        to_read = customers_to_read(every, request.GET.get("filter"), frozenset(resources.CUSTOMER_FILTERS))
        rows = list(to_read)
        return JsonResponse(
            resources.collection_response(
                request,
                base=base,
                path="customers",
                rows=rows,
                total=len(rows) if to_read is every else _customer_count(agreement),
                record=resources.customer_record,
                body=lambda c: resources.customer_body(c, base),
                filters=resources.CUSTOMER_FILTERS,
                sorts=resources.CUSTOMER_SORTS,
                paging_cap=faults.paging_cap(agreement),
                meta_data={
                    "create": {
                        "description": "Create a new customer.",
                        "httpMethod": "post",
                        "href": f"{base}/customers",
                    }
                },
            )
        )
    if request.method != "POST":
        raise _not_allowed(request)
    payload = json_body(request)
    if isinstance(payload, list) and payload:
        raise resources.refuse_customer_list(payload, agreement=agreement)
    with transaction.atomic():
        # One writer per agreement at a time, so "next free number" and the uniqueness check hold.
        agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
        number, data = resources.validate_customer(payload, agreement=agreement)
        if number is None:
            number = next_customer_number(agreement)
        elif agreement.customers.filter(number=number).exists():
            _number_in_use(number)
        customer = Customer.objects.create(
            agreement=agreement, number=number, data=data, last_updated=timezone.now()
        )
        notifications.customer_changed(agreement, number=number)
    response = JsonResponse(resources.customer_body(customer, base), status=201)
    response["Location"] = f"{base}/customers/{number}"
    return response


def _customer_count(agreement: Agreement) -> int:
    """`resultsWithoutFilter` of a narrowed search. Written out: the sync's every e-mail search
    asks, and the ORM's building of a count cost more CPU than the count (the bench's emulators
    share their machine with the product)."""
    with connection.cursor() as cursor:
        table = Customer._meta.db_table
        cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE agreement_id = %s", [agreement.pk])
        return cursor.fetchone()[0]


def _number_in_use(number: int) -> None:
    errors = ValidationErrors()
    errors.add(
        "customerNumber",
        f"Customer number {number} already exists.",
        "E06010",
        number,
        hint="Choose another customer number or leave it out.",
    )
    errors.raise_if_any()


@economic_api
def customer(request: HttpRequest, agreement: Agreement, number: int) -> HttpResponse:
    base = base_url(request)
    if request.method == "GET":
        found = Customer.objects.filter(agreement=agreement, number=number).first()
        if found is None:
            raise ApiError(404, f"Customer {number} not found.", error_code="E04040")
        return JsonResponse(resources.customer_body(found, base))
    if request.method not in ("PUT", "DELETE"):
        raise _not_allowed(request)
    payload = json_body(request) if request.method == "PUT" else None
    with transaction.atomic():
        agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
        found = Customer.objects.filter(agreement=agreement, number=number).first()
        if found is None:
            raise ApiError(404, f"Customer {number} not found.", error_code="E04040")
        if request.method == "DELETE":
            found.delete()
            notifications.customer_changed(agreement, number=number)
            return HttpResponse(status=204)
        _, data = resources.validate_customer(payload, agreement=agreement, number_in_url=number)
        # A full replacement, except this flag: e-conomic changes it only with PATCH.
        data.pop("eInvoicingDisabledByDefault", None)
        if "eInvoicingDisabledByDefault" in found.data:
            data["eInvoicingDisabledByDefault"] = found.data["eInvoicingDisabledByDefault"]
        found.data = data
        found.last_updated = timezone.now()
        found.save(update_fields=["data", "last_updated"])
        notifications.customer_changed(agreement, number=number)
    return JsonResponse(resources.customer_body(found, base))


@economic_api
def list_collection(request: HttpRequest, agreement: Agreement, kind: str) -> HttpResponse:
    if request.method != "GET":
        raise _not_allowed(request)
    resource = resources.LISTS[kind]
    base = base_url(request)
    rows = list(getattr(agreement, resource.related_name).all())
    return JsonResponse(
        resources.collection_response(
            request,
            base=base,
            path=kind,
            rows=rows,
            record=resource.record,
            body=lambda item: resource.body(item, base),
            filters=resource.filters,
            paging_cap=faults.paging_cap(agreement),
        )
    )


@economic_api
def list_item(request: HttpRequest, agreement: Agreement, kind: str, key: str) -> HttpResponse:
    if request.method != "GET":
        raise _not_allowed(request)
    resource = resources.LISTS[kind]
    item = None
    if resource.key_field != "number" or key.isdigit():
        item = getattr(agreement, resource.related_name).filter(**{resource.key_field: key}).first()
    if item is None:
        raise ApiError(404, f"No {kind} item {key}.", error_code="E04040")
    return JsonResponse(resource.body(item, base_url(request)))


def _grant_page_error(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "sandbox_economic/requestaccess_error.html", {"message": message}, status=400)


@require_http_methods(["GET", "POST"])
def request_access(request: HttpRequest) -> HttpResponse:
    """e-conomic's grant page: the merchant (the sign-up the callback names) accepts the app's
    access. The rules that stand in for e-conomic's login are in grants.py."""
    params = request.POST if request.method == "POST" else request.GET
    app = App.objects.filter(public_token=params.get("appPublicToken", "")).first()
    if app is None:
        return _grant_page_error(request, "The app asking for access is not known (check appPublicToken).")
    redirect_url = params.get("redirectUrl", "")
    signup = grants.callback_signup(redirect_url)
    if signup is None:
        return _grant_page_error(
            request, "The redirectUrl must be this site's own e-conomic callback (SITE_URL/t/…/callback/…)."
        )
    try:
        agreement = grants.agreement_for_signup(signup=signup, chosen=params.get("agreementNumber", ""))
        if request.method == "POST":
            token = grants.grant_issue(app=app, agreement=agreement, signup=signup).token
            separator = "&" if urlsplit(redirect_url).query else "?"
            return HttpResponseRedirect(f"{redirect_url}{separator}{urlencode({'token': token})}")
    except grants.GrantRefused as exc:
        return _grant_page_error(request, str(exc))
    return render(
        request,
        "sandbox_economic/requestaccess.html",
        {"app": app, "agreement": agreement, "redirect_url": redirect_url},
    )


@csrf_exempt
@require_POST
def control_faults(request: HttpRequest) -> HttpResponse:
    """Test control: `{"agreementNumber": n, "throttle": 2, "retry_after": 3, ...}` replaces the
    agreement's faults (see faults.FAULT_FIELDS); `{"agreementNumber": n}` clears them."""
    try:
        payload = json_body(request)
        agreement = Agreement.objects.get(agreement_number=payload.pop("agreementNumber"))
        faults.set_faults(agreement, **payload)
    except (ApiError, KeyError, TypeError, AttributeError, ValueError, Agreement.DoesNotExist) as exc:
        return JsonResponse({"error": f"Bad fault request: {exc}"}, status=400)
    return JsonResponse({"agreementNumber": agreement.agreement_number, "faults": payload})


@require_GET
def control_requests(request: HttpRequest) -> HttpResponse:
    """Test control: the request log, optionally for one agreement and after a log id."""
    entries = RequestLogEntry.objects.select_related("agreement").order_by("id")
    if request.GET.get("agreementNumber"):
        entries = entries.filter(agreement__agreement_number=request.GET["agreementNumber"])
    if request.GET.get("after", "").isdigit():
        entries = entries.filter(id__gt=int(request.GET["after"]))
    return JsonResponse(
        {
            "requests": [
                {
                    "id": e.id,
                    "agreementNumber": e.agreement.agreement_number if e.agreement else None,
                    "method": e.method,
                    "path": e.path,
                    "query": e.query,
                    "status": e.status,
                    "fault": e.fault,
                    "durationMs": e.duration_ms,
                    "time": e.created.isoformat(),
                }
                for e in entries[:1000]
            ]
        }
    )


@csrf_exempt
@require_POST
def control_customer_edit(request: HttpRequest, number: int) -> HttpResponse:
    """Test control, a bookkeeper's edit in e-conomic's web app: `{"agreementNumber": n, "fields":
    {"address": "..."}, "lastUpdated": "2026-12-04T12:00:00Z"}` changes those fields (validated as
    a PUT would be) at that time (now when left out), and notifies the agreement's web hook."""
    try:
        payload = json_body(request)
        agreement = Agreement.objects.get(agreement_number=payload["agreementNumber"])
        at = parse_datetime(payload["lastUpdated"]) if payload.get("lastUpdated") else timezone.now()
        if at is None:
            raise ValueError("lastUpdated is not a date and time")
        with transaction.atomic():
            found = Customer.objects.select_for_update().get(agreement=agreement, number=number)
            body = {**found.data, **payload["fields"], "customerNumber": number}
            _, data = resources.validate_customer(body, agreement=agreement, number_in_url=number)
            found.data, found.last_updated = data, at
            found.save(update_fields=["data", "last_updated"])
            notifications.customer_changed(agreement, number=number)
    except ApiError as exc:
        return JsonResponse({"error": f"Refused: {exc}"}, status=400)
    except (
        KeyError,
        TypeError,
        AttributeError,
        ValueError,
        Agreement.DoesNotExist,
        Customer.DoesNotExist,
    ) as exc:
        return JsonResponse({"error": f"Bad edit request: {exc}"}, status=400)
    return JsonResponse(resources.customer_body(found, base_url(request)))


@csrf_exempt
@require_POST
def control_webhook(request: HttpRequest) -> HttpResponse:
    """Test control, the web hook a SuperUser sets up in e-conomic's settings: `{"agreementNumber":
    n, "url": "https://.../[NEWNUMBER]?old=[OLDNUMBER]"}` ("" removes it)."""
    try:
        payload = json_body(request)
        agreement = Agreement.objects.get(agreement_number=payload["agreementNumber"])
        agreement.customer_webhook_url = str(payload["url"])[:500]
        agreement.save(update_fields=["customer_webhook_url"])
    except (ApiError, KeyError, TypeError, AttributeError, Agreement.DoesNotExist) as exc:
        return JsonResponse({"error": f"Bad web hook request: {exc}"}, status=400)
    return JsonResponse(
        {"agreementNumber": agreement.agreement_number, "url": agreement.customer_webhook_url}
    )
