"""The merchant's erasure of one customer's personal data, from its sync log entry."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from syncapp.tenancy import tenant_view

from ..models import CustomerLink, SyncRecord
from .erasure import customer_erase
from .retention import RemovalReason


# Owners and admins only (viewers get 403), on the confirmation page as on the POST.
@tenant_view(edit=True)
def customer_erase_confirm(request, record_id: int):
    record = get_object_or_404(SyncRecord.objects.for_tenant(request.tenant), pk=record_id)
    customer_id = record.stripe_customer_id
    if request.method == "POST":
        customer_erase(tenant=request.tenant, stripe_customer_id=customer_id, reason=RemovalReason.REQUESTED)
        messages.success(request, f"Personal data of {customer_id} erased from our copies.")
        return redirect("sync_log", slug=request.tenant.slug)
    link = CustomerLink.objects.for_tenant(request.tenant).filter(stripe_customer_id=customer_id).first()
    return render(
        request,
        "customers/erase_confirm.html",
        {
            "customer_id": customer_id,
            "number": link.economic_customer_number if link else None,
            "records": SyncRecord.objects.for_tenant(request.tenant)
            .filter(stripe_customer_id=customer_id)
            .count(),
        },
    )
