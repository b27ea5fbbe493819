from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from syncapp.tenancy import tenant_view

from .log_selectors import in_dates
from .models import ImportRun, SyncRecord
from .privacy.retention import sync_record_retention_months
from .selectors import sync_records_for
from .services import sync_retry
from .services.imports import ImportAlreadyRunning, import_cancel, import_start


@tenant_view
def sync_log(request):
    action = request.GET.get("action", "")
    action = action if action in SyncRecord.Action.values else ""
    # PostgreSQL refuses a NUL in any string it is sent: it can never match, so it is dropped.
    search = request.GET.get("q", "").replace("\x00", "").strip()
    records = sync_records_for(tenant=request.tenant, action=action or None, search=search)
    dates = DateFilterForm(request.GET)
    dates.is_valid()  # a date that is not one is left out, never an error page
    records = in_dates(records, since=dates.cleaned_data.get("since"), until=dates.cleaned_data.get("until"))
    page = Paginator(records, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "customers/sync_log.html",
        {
            "page": page,
            "action": action,
            "q": search,
            "actions": SyncRecord.Action.choices,
            "retention_months": sync_record_retention_months(tenant=request.tenant),
            "retention_choices": range(
                settings.SYNC_RECORD_RETENTION_MIN_MONTHS, settings.SYNC_RECORD_RETENTION_MONTHS + 1
            ),
            "since": dates.cleaned_data.get("since"),
            "until": dates.cleaned_data.get("until"),
        },
    )


class DateFilterForm(forms.Form):
    since = forms.DateField(required=False)
    until = forms.DateField(required=False)


@tenant_view(edit=True)
@require_POST
def sync_log_retry(request, record_id: int):
    record = get_object_or_404(SyncRecord.objects.for_tenant(request.tenant), pk=record_id)
    sync_retry(tenant=request.tenant, stripe_customer_id=record.stripe_customer_id)
    messages.success(
        request, f"Sync of {record.stripe_customer_id} queued: its result appears here in a moment."
    )
    return redirect("sync_log", slug=request.tenant.slug)


@tenant_view
def import_page(request):
    runs = ImportRun.objects.for_tenant(request.tenant)[:10]
    active = [ImportRun.Status.QUEUED, ImportRun.Status.RUNNING]
    running = any(run.status in active for run in runs)
    return render(
        request, "customers/import.html", {"runs": runs, "running": running, "active_statuses": active}
    )


@tenant_view(edit=True)
@require_POST
def import_begin(request):
    try:
        import_start(tenant=request.tenant, started_by=request.user.email)
    except ImportAlreadyRunning as exc:
        messages.warning(request, str(exc))
    else:
        messages.success(request, "Import started: progress appears below.")
    return redirect("import", slug=request.tenant.slug)


@tenant_view(edit=True)
@require_POST
def import_stop(request, run_id: int):
    run = get_object_or_404(ImportRun.objects.for_tenant(request.tenant), pk=run_id)
    run = import_cancel(tenant=request.tenant, run_id=run.pk)
    if run.status == ImportRun.Status.CANCELLED:
        messages.success(request, "Import cancelled.")
    else:
        messages.success(request, "Cancelling: the import stops after the page of customers in hand.")
    return redirect("import", slug=request.tenant.slug)
