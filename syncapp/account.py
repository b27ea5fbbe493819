"""The account page (owners only): export everything, close the account, cancel the closing."""

import tempfile

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .export import tenant_export
from .models import Role
from .offboarding import tenant_close, tenant_close_cancel, tenant_data_counts
from .tenancy import tenant_view


def _owner_only(request) -> None:
    if request.membership.role != Role.OWNER:
        raise PermissionDenied("Only an owner can export or close the account.")


# Owners and admins read the page (viewers get 403); only an owner exports or closes.
@tenant_view(edit=True)
def account(request):
    counts = tenant_data_counts(tenant=request.tenant)
    return render(
        request,
        "syncapp/account.html",
        {"tenant": request.tenant, "counts": counts, "is_owner": request.membership.role == Role.OWNER},
    )


@tenant_view
@require_POST
def account_export(request):
    _owner_only(request)
    # On disk, not in memory: a large sync log makes a large zip.
    out = tempfile.TemporaryFile()
    tenant_export(tenant=request.tenant, out=out)
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=f"{request.tenant.slug}-export.zip")


@tenant_view
@require_POST
def account_close(request):
    _owner_only(request)
    if request.POST.get("confirm_slug") != request.tenant.slug:
        messages.error(request, _("Type the account's short name to confirm."))
        return redirect("account", slug=request.tenant.slug)
    tenant_close(tenant=request.tenant, user=request.user)
    messages.warning(
        request, _("Account closed: Stripe and e-conomic are disconnected. We sent the owners an e-mail.")
    )
    return redirect("account", slug=request.tenant.slug)


@tenant_view
@require_POST
def account_close_cancel(request):
    _owner_only(request)
    tenant_close_cancel(tenant=request.tenant)
    messages.success(
        request,
        _("Closing cancelled: nothing will be deleted. Reconnect Stripe and e-conomic to sync again."),
    )
    return redirect("account", slug=request.tenant.slug)
