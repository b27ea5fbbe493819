"""The customer sync settings tabs. Each save goes through services.settings_save (atomic, recorded)."""

import copy
import hashlib
import json
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from syncapp.connections.selectors import stripe_accounts_for
from syncapp.models import StripeConnection
from syncapp.numbers import whole_number
from syncapp.tenancy import tenant_view

from . import services
from .catalog import DANISH_CVR_PATH
from .checks import settings_sample_warnings
from .diff import document_diff
from .document import VERSION
from .forms import (
    MAX_IMPORT_BYTES,
    AccountOverridesForm,
    DefaultsForm,
    FieldMappingsForm,
    ImportForm,
    MatchRuleFormSet,
    NumberForm,
    OnEmptyValueForm,
    PreviewForm,
    rule_rows,
)
from .models import SettingsSource
from .selectors import settings_changes_for, settings_document_for
from .vocabulary import OnAmbiguous

# The file plus the form's own fields and multipart boundaries.
MAX_IMPORT_REQUEST_BYTES = MAX_IMPORT_BYTES + 16 * 1024


@dataclass
class SaveOutcome:
    """A tab's save: `problems` (nothing saved), or `warnings` about the merchant's own Stripe
    customers to confirm first (nothing saved yet: `confirmation` is what the form sends back)."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    confirmation: str = ""

    @property
    def saved(self) -> bool:
        return not self.problems and not self.warnings


def _save_section(
    request, source: str, key: str, section, *, check_sample: bool = False, sync: dict | None = None
) -> SaveOutcome:
    """Put one tab's section into the document and save it. With `check_sample`, the fields it
    reads are first checked on the merchant's recent Stripe customers: a warning is shown and
    nothing saved until the member confirms (for this very section). `sync` are the keys of the
    "sync" section the tab also sets (the Field mappings tab's conflict rule and read interval)."""
    document = copy.deepcopy(settings_document_for(tenant=request.tenant))
    document[key] = section
    if sync:
        # The tab saves what only version 2 holds: an older document is read as version 2 now.
        document["version"] = VERSION
        document["sync"] = {**document.get("sync", {}), **sync}
    confirmation = hashlib.sha256(json.dumps(section, sort_keys=True).encode()).hexdigest()[:16]
    if check_sample and request.POST.get("confirm_warnings") != confirmation:
        warnings = settings_sample_warnings(tenant=request.tenant, document=document)
        if warnings:
            return SaveOutcome(warnings=warnings, confirmation=confirmation)
    try:
        saved = services.settings_save(
            tenant=request.tenant, user=request.user, document=document, source=source
        )
    except services.SettingsInvalid as exc:
        return SaveOutcome(problems=exc.problems)
    label = SettingsSource(source).label
    if source == SettingsSource.DEFAULTS and saved.missing_defaults:
        missing = ", ".join(saved.missing_defaults)
        messages.warning(
            request,
            _("%(label)s saved, but no customer can be created in e-conomic until you also set: %(missing)s.")
            % {"label": label, "missing": missing},
        )
    else:
        messages.success(request, _("%(label)s saved.") % {"label": label})
    return SaveOutcome()


def _render(request, template: str, tab: str, context: dict, *, status: int = 200):
    return render(request, f"mappings/{template}", {"tab": tab, **context}, status=status)


@tenant_view
def matching(request):
    document = settings_document_for(tenant=request.tenant)
    outcome = SaveOutcome()
    unsaved = False
    if request.method == "POST":
        formset = MatchRuleFormSet(request.POST, prefix="rules")
        form = OnEmptyValueForm(request.POST)
        op = request.POST.get("op", "save")
        if op != "save":
            rows = [f.raw_row() for f in formset.forms]
            formset = MatchRuleFormSet(initial=_rearranged(rows, op), prefix="rules")
            unsaved = True
        elif formset.is_valid() and form.is_valid():
            section = {
                "rules": [
                    {
                        "stripe_field": f.cleaned_data["path"],
                        "economic_field": f.cleaned_data["economic_field"],
                    }
                    for f in formset.forms
                ],
                "on_empty_value": form.cleaned_data["on_empty_value"],
            }
            on_ambiguous = form.cleaned_data.get("on_ambiguous") or document["matching"].get("on_ambiguous")
            if on_ambiguous:
                section["on_ambiguous"] = on_ambiguous
            outcome = _save_section(request, SettingsSource.MATCHING, "matching", section, check_sample=True)
            if outcome.saved:
                return redirect("mappings:matching", slug=request.tenant.slug)
    else:
        formset = MatchRuleFormSet(initial=rule_rows(document["matching"]["rules"]), prefix="rules")
        form = OnEmptyValueForm(
            initial={
                "on_empty_value": document["matching"]["on_empty_value"],
                "on_ambiguous": document["matching"].get("on_ambiguous", OnAmbiguous.REVIEW),
            }
        )
    return _render(
        request,
        "matching.html",
        "matching",
        {
            "formset": formset,
            "form": form,
            "outcome": outcome,
            "problems": outcome.problems,
            "unsaved": unsaved,
        },
    )


def _rearranged(rows: list[dict], op: str) -> list[dict]:
    """Apply "add", "remove-N", "up-N" or "down-N" to the typed rows (nothing is saved yet)."""
    action, _, index = op.partition("-")
    if action == "add":
        return [*rows, {"stripe_field": "email", "metadata_key": "", "economic_field": "email"}]
    i = whole_number(index)
    if i is None or i >= len(rows):
        return rows
    if action == "remove" and len(rows) > 1:
        del rows[i]
    elif action == "up" and i > 0:
        rows[i - 1], rows[i] = rows[i], rows[i - 1]
    elif action == "down" and i < len(rows) - 1:
        rows[i + 1], rows[i] = rows[i], rows[i + 1]
    return rows


@tenant_view
def number(request):
    return _edit_section(
        request,
        NumberForm,
        source=SettingsSource.NUMBER,
        key="customer_number",
        tab="number",
        check_sample=True,
    )


def _edit_section(
    request, form_class, *, source: str, key: str, tab: str, check_sample: bool = False, suggest=None
):
    """A tab that edits one section of the document with one form, saved atomically. `suggest`
    may preselect values never saved (it returns what it suggested, for the page to say so)."""
    document = settings_document_for(tenant=request.tenant)
    outcome = SaveOutcome()
    suggested: list[str] = []
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            outcome = _save_section(
                request,
                source,
                key,
                form.cleaned_data["section"],
                check_sample=check_sample,
                sync=form.cleaned_data.get("sync"),
            )
            if outcome.saved:
                return redirect(f"mappings:{tab}", slug=request.tenant.slug)
    else:
        initial = (
            form_class.initial_from(document[key], document.get("sync"))
            if form_class is FieldMappingsForm
            else form_class.initial_from(document[key])
        )
        suggested = suggest(request, initial) if suggest else []
        form = form_class(initial=initial)
    context = {"form": form, "outcome": outcome, "problems": outcome.problems, "suggested": suggested}
    return _render(request, f"{tab}.html", tab, context)


@tenant_view
def defaults(request):
    document = settings_document_for(tenant=request.tenant)
    saved = document["defaults"]
    try:
        lists = services.economic_lists_for(tenant=request.tenant)
    except services.EconomicListsUnavailable as exc:
        if request.method == "POST":
            messages.error(request, _("Nothing was saved: %(value)s") % {"value": exc})
        return _render(
            request,
            "defaults.html",
            "defaults",
            {"unavailable": str(exc), "saved": _saved_defaults(saved)},
        )
    outcome = SaveOutcome()
    suggested_currency = ""
    if request.method == "POST":
        form = DefaultsForm(request.POST, lists=lists, saved=saved)
        if form.is_valid():
            outcome = _save_section(
                request, SettingsSource.DEFAULTS, "defaults", form.cleaned_data["section"]
            )
            if outcome.saved:
                return redirect("mappings:defaults", slug=request.tenant.slug)
    else:
        if not saved.get("currency"):
            suggested_currency = services.economic_agreement_facts(tenant=request.tenant).base_currency
        initial = DefaultsForm.initial_from(saved, suggested_currency=suggested_currency)
        form = DefaultsForm(initial=initial, lists=lists, saved=saved)
    context = {
        "form": form,
        "problems": outcome.problems,
        "suggested_currency": suggested_currency,
        "overrides": _account_override_forms(request.tenant, document, lists),
    }
    return _render(request, "defaults.html", "defaults", context)


def _account_override_forms(tenant, document: dict, lists: dict, posted=None) -> list[tuple]:
    """(account, form) for each Stripe account after the first, when the tenant has several."""
    accounts = stripe_accounts_for(tenant=tenant)[1:]
    saved = document.get("accounts") or {}
    return [
        (
            account,
            posted[1]
            if posted and posted[0] == account.pk
            else AccountOverridesForm(
                initial=AccountOverridesForm.initial_from(saved.get(account.name) or {}),
                lists=lists,
                prefix=f"account-{account.pk}",
            ),
        )
        for account in accounts
    ]


@tenant_view(edit=True)
@require_POST
def defaults_account(request, account_id: int):
    """Save one Stripe account's overrides of the new-customer defaults (or clear them)."""
    account = get_object_or_404(StripeConnection.objects.for_tenant(request.tenant), pk=account_id)
    try:
        lists = services.economic_lists_for(tenant=request.tenant)
    except services.EconomicListsUnavailable as exc:
        messages.error(request, _("Nothing was saved: %(value)s") % {"value": exc})
        return redirect("mappings:defaults", slug=request.tenant.slug)
    form = AccountOverridesForm(request.POST, lists=lists, prefix=f"account-{account.pk}")
    outcome = SaveOutcome()
    if form.is_valid():
        document = settings_document_for(tenant=request.tenant)
        accounts = {**(document.get("accounts") or {})}
        if form.cleaned_data["override"]:
            accounts[account.name] = form.cleaned_data["override"]
        else:
            accounts.pop(account.name, None)
        outcome = _save_section(request, SettingsSource.DEFAULTS, "accounts", accounts)
        if outcome.saved:
            return redirect("mappings:defaults", slug=request.tenant.slug)
    document = settings_document_for(tenant=request.tenant)
    saved = document["defaults"]
    context = {
        "form": DefaultsForm(initial=DefaultsForm.initial_from(saved), lists=lists, saved=saved),
        "problems": outcome.problems,
        "overrides": _account_override_forms(request.tenant, document, lists, posted=(account.pk, form)),
    }
    return _render(request, "defaults.html", "defaults", context)


def _saved_defaults(saved: dict) -> list[tuple[str, object]]:
    rows = [(label, saved.get(name)) for name, (_, label) in DefaultsForm.LISTS.items()]
    by_country = saved.get("vat_zone_by_country")
    if by_country:
        rows.append(("Home country", by_country["home_country"]))
        rows += [(label, by_country[zone]) for zone, label in DefaultsForm.ZONES.items()]
    return rows


@tenant_view
def field_mappings(request):
    return _edit_section(
        request,
        FieldMappingsForm,
        source=SettingsSource.FIELD_MAPPINGS,
        key="field_mappings",
        tab="field_mappings",
        suggest=_danish_suggestions,
    )


def _danish_suggestions(request, initial: dict) -> list[str]:
    """For a Danish agreement whose CVR number is not mapped yet: fill it from the customer's
    Danish VAT id (without its DK), preselected for the member to save. The e-conomic fields
    suggested."""
    if initial.get("corporateIdentificationNumber__stripe"):
        return []
    if not services.economic_agreement_facts(tenant=request.tenant).danish:
        return []
    initial["corporateIdentificationNumber__stripe"] = DANISH_CVR_PATH
    return ["corporateIdentificationNumber"]


@tenant_view
def preview(request):
    """Read-only, so a GET: viewers may preview too, and the URL can be shared with a colleague."""
    form = PreviewForm(request.GET or None)
    result, failure = None, None
    if form.is_valid():
        try:
            result = services.settings_preview(
                tenant=request.tenant, stripe_customer_id=form.cleaned_data["customer"].strip()
            )
        except services.PreviewFailed as exc:
            failure = str(exc)
    return _render(
        request,
        "preview.html",
        "preview",
        {
            "form": form,
            "result": result,
            "failure": failure,
            "recent": [] if form.is_bound else services.recent_stripe_customers(tenant=request.tenant),
            "economic_lists": services.economic_list_names(tenant=request.tenant) if result else None,
        },
    )


# CSRF is checked by the inner view: the middleware would read (and so receive) the whole upload
# before the size could be refused.
@csrf_exempt
@tenant_view
def transfer(request):
    declared = request.META.get("CONTENT_LENGTH") or "0"
    size = whole_number(declared)
    if request.method == "POST" and (size is None or size > MAX_IMPORT_REQUEST_BYTES):
        too_large = ["The file is larger than 1 MB; a settings export is a few kilobytes."]
        context = {"form": ImportForm(), "problems": too_large}
        return _render(request, "transfer.html", "transfer", context, status=413)
    return _transfer(request)


@csrf_protect
def _transfer(request):
    problems: list[str] = []
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.settings_import(
                tenant=request.tenant, user=request.user, document=form.cleaned_data["file"]
            )
        except services.SettingsInvalid as exc:
            problems = exc.problems
        else:
            note = (
                ""
                if result.checked_against_economic
                else " e-conomic could not be reached, so the default numbers were not checked against it."
            )
            messages.success(request, _("Settings imported.%(note)s") % {"note": note})
            return redirect("mappings:transfer", slug=request.tenant.slug)
    return _render(request, "transfer.html", "transfer", {"form": form, "problems": problems})


@tenant_view
def export(request):
    document = settings_document_for(tenant=request.tenant)
    response = HttpResponse(
        json.dumps(document, indent=2, ensure_ascii=False) + "\n", content_type="application/json"
    )
    filename = f"{request.tenant.slug}-customer-sync-settings.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@tenant_view
def history(request):
    page = Paginator(settings_changes_for(tenant=request.tenant), 20).get_page(request.GET.get("page"))
    lists = services.economic_list_names(tenant=request.tenant) if page else None
    changes = [(change, document_diff(change.before, change.after, lists=lists)) for change in page]
    return _render(request, "history.html", "history", {"page": page, "changes": changes})
