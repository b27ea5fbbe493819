from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from syncapp.models import StripeConnection
from syncapp.tenancy import tenant_view

from .log_selectors import in_dates
from .models import ImportReportRow, ImportRun, SyncRecord
from .privacy.retention import sync_record_retention_months
from .selectors import account_filter, sync_records_for
from .services import sync_retry
from .services.import_report import report_counts, report_csv_write, report_rows_for
from .services.imports import ImportAccountUnknown, ImportAlreadyRunning, import_cancel, import_start

Would = ImportReportRow.Action
# Always shown, even at 0: the five outcomes a merchant decides on; the rest only when they occur.
REPORT_TILES = {
    Would.WOULD_MATCH,
    Would.WOULD_CREATE,
    Would.WOULD_UPDATE,
    Would.WOULD_FAIL,
    Would.NEEDS_REVIEW,
}


@tenant_view
def sync_log(request):
    action = request.GET.get("action", "")
    action = action if action in SyncRecord.Action.values else ""
    # PostgreSQL refuses a NUL in any string it is sent: it can never match, so it is dropped.
    search = request.GET.get("q", "").replace("\x00", "").strip()
    accounts, account_id = account_filter(tenant=request.tenant, chosen=request.GET.get("account", ""))
    records = sync_records_for(
        tenant=request.tenant, action=action or None, search=search, stripe_account_id=account_id
    )
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
            "accounts": accounts,
            "account_id": account_id,
        },
    )


class DateFilterForm(forms.Form):
    since = forms.DateField(required=False)
    until = forms.DateField(required=False)


@tenant_view(edit=True)
@require_POST
def sync_log_retry(request, record_id: int):
    record = get_object_or_404(SyncRecord.objects.for_tenant(request.tenant), pk=record_id)
    sync_retry(
        tenant=request.tenant,
        stripe_customer_id=record.stripe_customer_id,
        stripe_account_id=record.stripe_account_id,
    )
    messages.success(
        request, f"Sync of {record.stripe_customer_id} queued: its result appears here in a moment."
    )
    return redirect("sync_log", slug=request.tenant.slug)


@tenant_view
def import_page(request):
    runs = ImportRun.objects.for_tenant(request.tenant).select_related("stripe_account")[:10]
    active = [ImportRun.Status.QUEUED, ImportRun.Status.RUNNING]
    running = any(run.status in active for run in runs)
    accounts, _ = account_filter(tenant=request.tenant, chosen="")
    return render(
        request,
        "customers/import.html",
        {"runs": runs, "running": running, "active_statuses": active, "accounts": accounts},
    )


@tenant_view(edit=True)
@require_POST
def import_begin(request):
    dry_run = request.POST.get("dry_run") == "1"
    _, account_id = account_filter(tenant=request.tenant, chosen=request.POST.get("account", ""))
    account = StripeConnection.objects.for_tenant(request.tenant).filter(pk=account_id).first()
    try:
        import_start(
            tenant=request.tenant, started_by=request.user.email, dry_run=dry_run, stripe_account=account
        )
    except (ImportAlreadyRunning, ImportAccountUnknown) as exc:
        messages.warning(request, str(exc))
    else:
        what = "Dry run started: nothing is written; its report" if dry_run else "Import started: progress"
        messages.success(request, f"{what} appears below.")
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


@tenant_view
def import_report(request, run_id: int):
    """A dry run's report: what the import would do, customer by customer, filterable by action."""
    run = get_object_or_404(ImportRun.objects.for_tenant(request.tenant), pk=run_id)
    if not run.dry_run:
        return redirect("sync_log", slug=request.tenant.slug)  # an import's outcomes are its sync log
    action = request.GET.get("action", "")
    action = action if action in Would.values else ""
    rows = report_rows_for(tenant=request.tenant, run=run, action=action or None)
    return render(
        request,
        "customers/import_report.html",
        {
            "run": run,
            "tiles": _count_tiles(report_counts(tenant=request.tenant, run=run)),
            "actions": Would.choices,
            "action": action,
            "page": Paginator(rows, 50).get_page(request.GET.get("page")),
            "running": run.status in (ImportRun.Status.QUEUED, ImportRun.Status.RUNNING),
        },
    )


def _count_tiles(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    return [
        (value, label, counts[value])
        for value, label in Would.choices
        if value in REPORT_TILES or counts[value]
    ]


@tenant_view
def import_report_csv(request, run_id: int):
    run = get_object_or_404(ImportRun.objects.for_tenant(request.tenant), pk=run_id, dry_run=True)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="dry-run-{run.pk}.csv"'
    report_csv_write(report_rows_for(tenant=request.tenant, run=run), response)
    return response
