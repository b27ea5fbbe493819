"""Dates and counts in the reader's language: `{{ when|moment:"seconds" }}` takes SECONDS_FORMAT
from syncapp/formats/<language>/formats.py; `{{ n|count }}` groups thousands as the reader does."""

from django import template
from django.utils.formats import date_format, get_format_modules, number_format
from django.utils.translation import get_language

register = template.Library()


@register.filter(expects_localtime=True)
def moment(value, style: str) -> str:
    if not value:
        return ""
    name = f"{style.upper()}_FORMAT"
    for module in get_format_modules(get_language()):
        if hasattr(module, name):
            return date_format(value, getattr(module, name))
    return date_format(value, "DATETIME_FORMAT")


@register.filter
def count(value) -> str:
    if value is None or value == "":
        return ""
    return number_format(value, force_grouping=True)
