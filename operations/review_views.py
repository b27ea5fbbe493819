"""The review queue's pages: the waiting customers, one customer beside its candidates, and the
bulk action with its confirmation."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from customers.errors import TransientSyncError
from customers.models import ReviewItem, SyncRecord
from customers.selectors import account_filter, open_review_items_for, resolved_review_items_for
from syncapp.tenancy import tenant_view

from .services.review import (
    BULK_CHOICES,
    MERCHANT_CHOICES,
    ReviewRefused,
    review_bulk_resolve,
    review_resolve,
    review_sides,
)


class ChoiceForm(forms.Form):
    choice = forms.ChoiceField(choices=[(c.value, c.label) for c in MERCHANT_CHOICES])
    number = forms.IntegerField(required=False, min_value=1, max_value=2**53)


class BulkForm(forms.Form):
    choice = forms.ChoiceField(choices=[(c.value, c.label) for c in BULK_CHOICES])
    items = forms.ModelMultipleChoiceField(queryset=ReviewItem.all_tenants.none())

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = open_review_items_for(tenant=tenant)


@tenant_view
def review_list(request):
    accounts, account_id = account_filter(tenant=request.tenant, chosen=request.GET.get("account", ""))
    items = open_review_items_for(tenant=request.tenant, stripe_account_id=account_id).select_related(
        "record"
    )[:200]
    return render(
        request,
        "customers/review_list.html",
        {
            "items": items,
            "resolved": resolved_review_items_for(tenant=request.tenant),
            "accounts": accounts,
            "account_id": account_id,
        },
    )


@tenant_view
def review_detail(request, item_id: int):
    item = get_object_or_404(ReviewItem.objects.for_tenant(request.tenant), pk=item_id)
    if request.method == "POST":
        form = ChoiceForm(request.POST)
        if form.is_valid():
            return _resolve(request, item, form.cleaned_data["choice"], form.cleaned_data["number"])
        messages.error(request, _("Choose a candidate to link, create a new customer, or skip."))
    sides = review_sides(tenant=request.tenant, item=item) if item.is_open else None
    return render(request, "customers/review_detail.html", {"item": item, "sides": sides})


def _resolve(request, item: ReviewItem, choice: str, number: int | None):
    try:
        record = review_resolve(
            tenant=request.tenant, item=item, choice=choice, by=request.user.email, number=number
        )
    except ReviewRefused as exc:
        messages.warning(request, str(exc))
        return redirect("review_detail", slug=request.tenant.slug, item_id=item.pk)
    except TransientSyncError as exc:
        messages.warning(
            request, _("Nothing was decided: %(message)s Try again in a moment.") % {"message": exc.message}
        )
        return redirect("review_detail", slug=request.tenant.slug, item_id=item.pk)
    if record.action in (SyncRecord.Action.FAILED, SyncRecord.Action.NEEDS_REVIEW):
        messages.error(
            request,
            _("%(message)s The customer is still waiting for your choice.") % {"message": record.explanation},
        )
        return redirect("review_detail", slug=request.tenant.slug, item_id=item.pk)
    messages.success(
        request,
        _("%(stripe_customer_id)s: %(message)s")
        % {
            "stripe_customer_id": record.stripe_name or item.stripe_customer_id,
            "message": record.explanation,
        },
    )
    return redirect("review", slug=request.tenant.slug)


@tenant_view(edit=True)
def review_bulk(request):
    if request.method != "POST":
        return redirect("review", slug=request.tenant.slug)
    form = BulkForm(request.POST, tenant=request.tenant)
    if not form.is_valid():
        messages.warning(request, _("Tick the customers to act on, and choose what to do with them."))
        return redirect("review", slug=request.tenant.slug)
    items, choice = list(form.cleaned_data["items"]), form.cleaned_data["choice"]
    if request.POST.get("confirmed") != "yes":
        return render(
            request, "customers/review_confirm.html", {"items": items, "choice": choice, "form": form}
        )
    try:
        counts = review_bulk_resolve(tenant=request.tenant, items=items, choice=choice, by=request.user.email)
    except (ReviewRefused, TransientSyncError) as exc:
        messages.warning(
            request,
            _("Stopped: %(message)s The rest are still waiting.") % {"message": getattr(exc, "message", exc)},
        )
        return redirect("review", slug=request.tenant.slug)
    summary = ", ".join(f"{n} {SyncRecord.Action(a).label.lower()}" for a, n in sorted(counts.items()))
    messages.success(
        request,
        ngettext(
            "Done for %(count)s customer: %(done)s.", "Done for %(count)s customers: %(done)s.", len(items)
        )
        % {"count": len(items), "done": summary or _("nothing to do")},
    )
    return redirect("review", slug=request.tenant.slug)
