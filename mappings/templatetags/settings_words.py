"""Settings and payloads in the merchant's words on any page: `{% payload_rows payload as rows %}`
and `{{ payload|as_json }}` (the exact body, for who wants it)."""

import json

from django import template

from .. import wording

register = template.Library()


@register.simple_tag(takes_context=True)
def payload_rows(context, payload: dict | None) -> list[tuple[str, str]]:
    """A payload as labelled rows; e-conomic's list entries named when the view gave the lists
    (`economic_lists` in the context)."""
    return wording.payload_rows(payload, lists=context.get("economic_lists"))


@register.filter
def as_json(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)
