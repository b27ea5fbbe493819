"""What every support action in the admin shares: a confirmation page with a count and a reason,
and a line in the admin log (LogEntry) saying who did what and why."""

from django import forms
from django.contrib.admin import helpers
from django.contrib.admin.models import CHANGE, LogEntry
from django.db.models import Model, QuerySet
from django.template.response import TemplateResponse


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason (kept in the admin log)",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def confirmed_reason(modeladmin, request, queryset: QuerySet, *, title: str, consequence: str, count=None):
    """The reason typed on the confirmation page once it is posted and valid; otherwise a
    TemplateResponse (the page) for the action to return."""
    form = ReasonForm(request.POST if "confirm" in request.POST else None)
    if form.is_bound and form.is_valid():
        return form.cleaned_data["reason"]
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "consequence": consequence,
        "count": queryset.count() if count is None else count,
        "objects": queryset[:20],
        "queryset": queryset,
        "form": form,
        "opts": modeladmin.model._meta,
        "action": request.POST.get("action", ""),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
    }
    return TemplateResponse(request, "admin/support/confirm_action.html", context)


def log_support_action(request, objects: QuerySet | list[Model], message: str, flag: int = CHANGE) -> None:
    """One admin-log line per object: who (the signed-in staff member), what and why."""
    objects = list(objects)
    if not objects:
        return
    model = type(objects[0])
    LogEntry.objects.log_actions(
        user_id=request.user.pk,
        queryset=model._default_manager.filter(pk__in=[obj.pk for obj in objects]),
        action_flag=flag,
        change_message=message,
    )
