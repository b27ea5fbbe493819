"""The engine's warnings and blocking errors, as sentences that can be written again later.

A `Note` is the sentence in the language active when the plan was made (the preview's reader's, or
English in a sync), and keeps its code and values: a sync stores those (`fact`), and the sync log
writes the sentence again in its reader's language (`customers/explanations.py` calls
`note_sentence`). Values hold the fields' API names (`stripe_path`, `economic_name`), written as
the reader's words for them; the customer's own values (`value`, `name`, `code`) as they are.
"""

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..catalog import economic_field_label, economic_field_words, stripe_field_words

NOTES = {
    # Warnings: the customer still syncs.
    "value_wrong_length": gettext_lazy(
        "%(field)s “%(value)s” from Stripe (%(stripe_field)s) is not exactly %(length)s "
        "characters: it was left out."
    ),
    "value_cut": gettext_lazy(
        "%(field)s from Stripe (%(stripe_field)s) is %(length)s characters and e-conomic allows "
        "%(most)s: it was cut to %(most)s."
    ),
    "country_unknown": gettext_lazy(
        "Country code “%(code)s” is not a known ISO country code: it was written as it is."
    ),
    "vat_zone_default": gettext_lazy(
        "Stripe customer %(id)s has no country, so its VAT zone is %(zone)s (your default zone)."
    ),
    "vat_zone_domestic": gettext_lazy(
        "Stripe customer %(id)s has no country, so its VAT zone is %(zone)s (domestic)."
    ),
    "no_name": gettext_lazy("Stripe customer %(id)s has no name: the e-conomic name is “%(name)s”."),
    "country_not_for_stripe": gettext_lazy(
        "The country “%(value)s” in e-conomic is not a country name we know, so it was not written to Stripe."
    ),
    # Blocking errors: the customer cannot be synced until the merchant acts.
    "match_value_missing": gettext_lazy(
        "Stripe customer %(id)s has no %(field)s, and %(field)s is your match field "
        "(rule %(rule)s): add one in Stripe, or let the rule fall through to the next one."
    ),
    "match_value_not_number": gettext_lazy(
        "Stripe customer %(id)s has “%(value)s” in %(field)s, which match rule %(rule)s "
        "compares with the e-conomic %(economic_field)s: it must be a whole number from "
        "%(least)s to %(most)s."
    ),
    "no_match_fields": gettext_lazy(
        "Stripe customer %(id)s has none of your match fields (%(fields)s), so it cannot be "
        "looked up in e-conomic: add one of them in Stripe, or add a match rule on a field it has."
    ),
    "number_missing": gettext_lazy(
        "Stripe customer %(id)s has no %(field)s, which your settings use as the e-conomic "
        "customer number: add it in Stripe, or let e-conomic create the numbers."
    ),
    "number_invalid": gettext_lazy(
        "Stripe customer %(id)s has “%(value)s” in %(field)s, which is not a valid e-conomic "
        "customer number: it must be a whole number from %(least)s to %(most)s."
    ),
}
# Sentences that open with the e-conomic field's label ("CVR number “123” from Stripe …").
_LABELLED = {"value_wrong_length", "value_cut"}


class Note(str):
    """One warning or blocking error: reads as its sentence, keeps its code and values."""

    code: str
    values: dict

    def __new__(cls, code: str, /, **values) -> "Note":
        note = super().__new__(cls, note_sentence(code, values))
        note.code, note.values = code, values
        return note

    def __getnewargs_ex__(self) -> tuple[tuple, dict]:
        return (self.code,), self.values

    @property
    def fact(self) -> dict:
        """What a record stores (`customers/explanations.py`'s shape)."""
        return {"code": self.code, "values": self.values}


def note_sentence(code: str, values: dict) -> str:
    """The note's sentence in the active language."""
    return str(NOTES[code]) % _words(code, values)


def _words(code: str, values: dict) -> dict:
    words = dict(values)
    path = words.pop("stripe_path", None)
    name = words.pop("economic_name", None)
    paths = words.pop("stripe_paths", None)
    if code in _LABELLED:
        words["field"] = economic_field_label(name)
        words["stripe_field"] = stripe_field_words(path)
    else:
        if path is not None:
            words["field"] = stripe_field_words(path)
        if name is not None:
            words["economic_field"] = economic_field_words(name)
    if paths is not None:
        words["fields"] = ", ".join(stripe_field_words(p) for p in paths) or _("none set")
    for bound in ("least", "most"):
        if isinstance(words.get(bound), int):
            words[bound] = number_format(words[bound], force_grouping=True)
    return words
