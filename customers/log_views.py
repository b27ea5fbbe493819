"""The sync log's detail page, bulk retry of one kind of failure, and the events view with Replay."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from mappings.services import economic_list_names
from syncapp.tenancy import tenant_view

from .log_selectors import events_for, failures_by_kind
from .models import StripeEvent, SyncRecord
from .selectors import with_later_outcome
from .services import event_replay, sync_retry


@tenant_view
def sync_record(request, record_id: int):
    records = SyncRecord.objects.for_tenant(request.tenant)
    record = get_object_or_404(
        with_later_outcome(records.select_related("event"), tenant=request.tenant), pk=record_id
    )
    history = with_later_outcome(
        records.filter(stripe_customer_id=record.stripe_customer_id), tenant=request.tenant
    )
    context = {
        "record": record,
        "history": history[:20],
        "economic_lists": economic_list_names(tenant=request.tenant) if record.payload else None,
    }
    return render(request, "customers/sync_record.html", context)


@tenant_view
def sync_failures(request):
    return render(request, "customers/sync_failures.html", {"kinds": failures_by_kind(tenant=request.tenant)})


@tenant_view(edit=True)
@require_POST
def sync_retry_kind(request):
    key = request.POST.get("kind", "")
    kind = next((k for k in failures_by_kind(tenant=request.tenant) if k.key == key), None)
    if kind is None:
        messages.warning(request, _("Those failures are no longer there: nothing was retried."))
        return redirect("sync_failures", slug=request.tenant.slug)
    for customer_id in kind.customers:
        sync_retry(tenant=request.tenant, stripe_customer_id=customer_id)
    n = len(kind.customers)
    messages.success(
        request,
        ngettext(
            "%(n)s sync queued: the results appear in the sync log.",
            "%(n)s syncs queued: the results appear in the sync log.",
            n,
        )
        % {"n": n},
    )
    return redirect("sync_log", slug=request.tenant.slug)


@tenant_view
def events(request):
    status = request.GET.get("status", "")
    status = status if status in StripeEvent.Status.values else ""
    page = Paginator(events_for(tenant=request.tenant, status=status or None), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "customers/events.html",
        {"page": page, "status": status, "statuses": StripeEvent.Status.choices},
    )


@tenant_view(edit=True)
@require_POST
def event_replay_view(request, event_id: int):
    event = get_object_or_404(StripeEvent.objects.for_tenant(request.tenant), pk=event_id)
    event_replay(tenant=request.tenant, event_id=event.pk)
    messages.success(
        request,
        _("Event %(stripe_event_id)s queued again: its sync appears in the sync log.")
        % {"stripe_event_id": event.stripe_event_id},
    )
    return redirect("events", slug=request.tenant.slug)
