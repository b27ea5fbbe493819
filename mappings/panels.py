from syncapp.models import Tenant

from .catalog import economic_field_words, stripe_field_label, stripe_field_words
from .selectors import sync_settings_for
from .wording import default_words


def settings_panel(tenant: Tenant) -> dict:
    settings = sync_settings_for(tenant=tenant)
    return {
        "template": "mappings/panels/settings.html",
        "defaults_complete": settings.defaults_complete,
        "missing_defaults": default_words(settings.missing_defaults),
        "settings": settings,
        # In the words of the tabs, never the paths and API names stored in the document.
        "match_rules": [
            (stripe_field_words(rule.stripe_field), economic_field_words(rule.economic_field))
            for rule in settings.match_rules
        ],
        "number_field": stripe_field_label(settings.number_stripe_field),
    }
