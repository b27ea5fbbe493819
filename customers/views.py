from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import get_format
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views.decorators.http import require_POST

from mappings.catalog import economic_field_words
from mappings.services import economic_list_names
from syncapp.models import StripeConnection
from syncapp.tenancy import tenant_view

from .log_selectors import in_dates
from .models import ImportReportRow, ImportRun, SyncRecord
from .privacy.retention import sync_record_retention_months
from .selectors import account_filter, import_progress_for, sync_records_for, with_later_outcome
from .services import sync_record_retry
from .services.import_report import WOULD, report_counts, report_csv_write, report_rows_for, spreadsheet_style
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
    records = with_later_outcome(records, tenant=request.tenant)
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
            "economic_lists": economic_list_names(tenant=request.tenant, fetch=False),
        },
    )


class DateFilterForm(forms.Form):
    since = forms.DateField(required=False)
    until = forms.DateField(required=False)


@tenant_view(edit=True)
@require_POST
def sync_log_retry(request, record_id: int):
    record = get_object_or_404(SyncRecord.objects.for_tenant(request.tenant), pk=record_id)
    sync_record_retry(tenant=request.tenant, record=record)
    messages.success(
        request,
        _("Sync of %(stripe_customer_id)s queued: its result appears here in a moment.")
        % {"stripe_customer_id": record.stripe_customer_id},
    )
    return redirect("sync_log", slug=request.tenant.slug)


ACTIVE = (ImportRun.Status.QUEUED, ImportRun.Status.RUNNING)


@tenant_view
def import_page(request):
    runs = list(ImportRun.objects.for_tenant(request.tenant).select_related("stripe_account")[:10])
    for run in runs:
        run.progress = import_progress_for(tenant=request.tenant, run=run) if run.status in ACTIVE else None
    accounts, _chosen = account_filter(tenant=request.tenant, chosen="")
    context = {
        "runs": runs,
        "running": any(run.status in ACTIVE for run in runs),
        "active_statuses": ACTIVE,
        "dry_run": _latest_dry_run(request.tenant),
        "accounts": accounts,
    }
    return render(request, "customers/import.html", context)


def _would_counts(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    """A dry run's counts (kept by sync outcome) in the report's words: (key, "Would create", n)."""
    would = {WOULD[action]: n for action, n in counts.items() if action in WOULD}
    return [(value, label, would[value]) for value, label in Would.choices if would.get(value)]


def _latest_dry_run(tenant, account: StripeConnection | None = None) -> ImportRun | None:
    """The latest finished dry run (of that Stripe account, when one is named)."""
    runs = ImportRun.objects.for_tenant(tenant).filter(dry_run=True, status=ImportRun.Status.FINISHED)
    return (runs.filter(stripe_account=account) if account else runs).first()


@tenant_view(edit=True)
@require_POST
def import_begin(request):
    """Start a dry run, or an import once the member confirmed it having seen the dry run's counts."""
    dry_run = request.POST.get("dry_run") == "1"
    _accounts, account_id = account_filter(tenant=request.tenant, chosen=request.POST.get("account", ""))
    account = StripeConnection.objects.for_tenant(request.tenant).filter(pk=account_id).first()
    if not dry_run and request.POST.get("confirmed") != "yes":
        latest = _latest_dry_run(request.tenant, account)
        context = {
            "dry_run": latest,
            "would": _would_counts(latest.counts) if latest else [],
            "account": account,
        }
        return render(request, "customers/import_confirm.html", context)
    try:
        run = import_start(
            tenant=request.tenant, started_by=request.user.email, dry_run=dry_run, stripe_account=account
        )
    except (ImportAlreadyRunning, ImportAccountUnknown) as exc:
        messages.warning(request, str(exc))
    else:
        run.refresh_from_db()  # with tasks in-process (`make run`) it has already finished
        messages.success(request, _started(run))
    return redirect("import", slug=request.tenant.slug)


def _started(run: ImportRun) -> str:
    if run.status == ImportRun.Status.FINISHED:
        return (
            _("Dry run finished: nothing was written; see its report below.")
            if run.dry_run
            else _("Import finished: each customer's outcome is in the sync log.")
        )
    if run.dry_run:
        return _("Dry run started: nothing is written; its report appears below.")
    return _("Import started: progress appears below.")


@tenant_view(edit=True)
@require_POST
def import_stop(request, run_id: int):
    run = get_object_or_404(ImportRun.objects.for_tenant(request.tenant), pk=run_id)
    run = import_cancel(tenant=request.tenant, run_id=run.pk)
    if run.status == ImportRun.Status.CANCELLED:
        messages.success(request, _("Import cancelled."))
    else:
        messages.success(request, _("Cancelling: the import stops after the page of customers in hand."))
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
            "running": run.status in ACTIVE,
            "duplicates": [
                {**group, "field_words": economic_field_words(group.get("field", ""))}
                for group in run.economic_duplicates
            ],
            "csv_separator": _csv_separator(request),
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
    style = spreadsheet_style(semicolons=_csv_separator(request) == "semicolon")
    report_csv_write(report_rows_for(tenant=request.tenant, run=run), response, style=style)
    return response


def _csv_separator(request) -> str:
    """The member's choice (?separator=), else what their browser's language suggests: semicolons
    where the decimal separator is a comma (da, de, sv, ...), as Excel there expects."""
    chosen = request.GET.get("separator")
    if chosen in ("semicolon", "comma"):
        return chosen
    return "semicolon" if reader_uses_decimal_comma(request) else "comma"


def reader_uses_decimal_comma(request) -> bool:
    languages = parse_accept_lang_header(request.headers.get("Accept-Language", "")[:200])
    if not languages:
        return False
    language = languages[0][0].split("-")[0].lower()
    if language == "*" or not check_for_language(language):
        return False
    return get_format("DECIMAL_SEPARATOR", lang=language, use_l10n=True) == ","
