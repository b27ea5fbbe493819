from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from syncapp.tenancy import tenant_view

from .models import SyncRecord
from .selectors import sync_records_for
from .tasks import sync_customer


@tenant_view
def sync_log(request):
    action = request.GET.get("action", "")
    search = request.GET.get("q", "").strip()
    records = sync_records_for(tenant=request.tenant, action=action or None, search=search)
    page = Paginator(records, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "customers/sync_log.html",
        {"page": page, "action": action, "q": search, "actions": SyncRecord.Action.choices},
    )


@tenant_view(edit=True)
@require_POST
def sync_retry(request, record_id: int):
    record = get_object_or_404(SyncRecord.objects.for_tenant(request.tenant), pk=record_id)
    tenant_id, customer_id = request.tenant.pk, record.stripe_customer_id
    transaction.on_commit(lambda: sync_customer.delay(tenant_id, customer_id))
    messages.success(request, f"Sync of {customer_id} queued: its result appears here in a moment.")
    return redirect("sync_log", slug=request.tenant.slug)
