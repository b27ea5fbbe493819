"""The merchant's erasure of one customer's personal data, from its sync log entry."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers.models import SyncRecord
from customers.privacy.erasure import customer_erase
from customers.privacy.retention import RemovalReason, retention_set
from syncapp.tenancy import tenant_view


# Owners and admins only (viewers get 403); the sync log row explains it before the button.
@tenant_view(edit=True)
@require_POST
def customer_erase_request(request, record_id: int):
    record = get_object_or_404(SyncRecord.objects.for_tenant(request.tenant), pk=record_id)
    customer_id = record.stripe_customer_id
    customer_erase(tenant=request.tenant, stripe_customer_id=customer_id, reason=RemovalReason.REQUESTED)
    messages.success(
        request, _("Personal data of %(customer_id)s erased from our copies.") % {"customer_id": customer_id}
    )
    return redirect("sync_log", slug=request.tenant.slug)


@tenant_view(edit=True)
@require_POST
def retention_update(request):
    """How many months the sync log keeps the personal data copied into it (minimum to default)."""
    try:
        months = int(request.POST.get("months", ""))
        retention_set(tenant=request.tenant, months=months)
    except (ValueError, ValidationError) as exc:
        problem = exc.messages[0] if isinstance(exc, ValidationError) else "Choose a number of months."
        messages.error(request, problem)
    else:
        messages.success(
            request,
            _("Personal data in the sync log is now removed after %(months)s months.") % {"months": months},
        )
    return redirect("sync_log", slug=request.tenant.slug)
