"""What every support-console page of a record shares: the system's own account of what happened
is shown, never added, edited or deleted by hand."""

import json

from django.contrib import admin
from django.utils.html import format_html


class RecordAdmin(admin.ModelAdmin):
    """Read-only for everyone, superusers included."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def pretty_json(value) -> str:
    """A JSON value as the admin shows it: indented, escaped."""
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False))
