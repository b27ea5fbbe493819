"""What the sync log, the dry-run report and an import's status say, kept as facts.

A record stores what happened as data: a list of facts, each a sentence's code and its values
(numbers, ids, the e-conomic field a rule searched, the member who chose). The sentence is written
when someone reads it, in their language, so the same record reads in Danish for one member and
in English for another. `message` beside it keeps the English sentence for searching, exports
and the support console.

Two other catalogues are written here too: the mapping engine's warnings and blocking errors
(`mappings/engine/notes.py`) and what e-conomic and Stripe answered (`syncapp/said.py`); the
services' own words inside them are quoted as they came. Text we hold only as it came (a record
from before its facts, a third party's error) travels as a `quoted` fact and is shown as it came.
"""

import re
from collections.abc import Iterable

from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from mappings.catalog import ECONOMIC_FIELDS, economic_field_words
from mappings.engine.notes import NOTES, note_sentence
from syncapp.said import Fact, service_sentence
from syncapp.said import quoted as quoted  # the sync takes all its facts from this module

from .privacy.redaction import REMOVED

# One whole sentence per code, with named values (`%(number)s`): a translator sees it complete.
# Values named `field` are an e-conomic field's API name, written as the reader's word for it;
# `value` is a value the customer has (personal data: retention removes it).
SENTENCES = {
    "deleted_never_linked": gettext_lazy("%(stripe_id)s was deleted in Stripe and was never linked."),
    "deleted_kept": gettext_lazy(
        "%(stripe_id)s was deleted in Stripe; e-conomic customer %(number)s is kept, as your settings "
        "say (choose “bar” to block invoicing instead)."
    ),
    "deleted_and_gone": gettext_lazy(
        "%(stripe_id)s was deleted in Stripe, and e-conomic no longer has customer %(number)s either: "
        "the link was dropped, nothing to bar."
    ),
    "already_barred": gettext_lazy("e-conomic customer %(number)s is already barred."),
    "would_bar": gettext_lazy("Would bar e-conomic customer %(number)s (dry run)."),
    "barred": gettext_lazy(
        "%(stripe_id)s was deleted in Stripe: e-conomic customer %(number)s is now barred."
    ),
    "linked_gone": gettext_lazy(
        "e-conomic no longer has customer %(gone)s, which this Stripe customer was linked to: the link "
        "was dropped and the match rules ran again."
    ),
    "not_updated_never": gettext_lazy(
        "Linked to e-conomic customer %(number)s; not updated: your settings never update existing customers."
    ),
    "not_updated_not_ours": gettext_lazy(
        "Linked to e-conomic customer %(number)s; not updated: it existed before and your settings only "
        "update customers this sync created."
    ),
    "unchanged": gettext_lazy("Linked to e-conomic customer %(number)s; no mapped field changed."),
    "updated": gettext_lazy("Updated e-conomic customer %(number)s from Stripe."),
    "unchanged_already": gettext_lazy(
        "Linked to e-conomic customer %(number)s; it already has these values."
    ),
    # The e-conomic → Stripe direction (`services/from_economic.py`); `fields` are e-conomic fields.
    "updated_in_stripe": gettext_lazy("Updated in Stripe from e-conomic customer %(number)s: %(fields)s."),
    "to_stripe_failed": gettext_lazy("Could not update Stripe from e-conomic customer %(number)s."),
    "conflict_economic_won": gettext_lazy(
        "Both sides changed the %(field)s since the last sync: e-conomic's change won "
        "(Stripe had “%(value)s”)."
    ),
    "conflict_stripe_won": gettext_lazy(
        "Both sides changed the %(field)s since the last sync: Stripe's change won "
        "(e-conomic had “%(value)s”)."
    ),
    "would_update": gettext_lazy("Would update e-conomic customer %(number)s (dry run)."),
    "created_again": gettext_lazy(
        "Created e-conomic customer %(number)s (its first reply was lost; found again by %(field)s, so "
        "it was not created twice)."
    ),
    "matched": gettext_lazy(
        "Found e-conomic customer %(number)s by %(field)s “%(value)s” (match rule %(rule)s) and linked it."
    ),
    "matched_and_updated": gettext_lazy("Its mapped fields were updated from Stripe, as your settings say."),
    "defaults_missing": gettext_lazy(
        "No e-conomic customer matched, and a new one cannot be created until your customer defaults "
        "(payment terms, customer group, VAT zone, currency) are set in Customer sync settings."
    ),
    "would_create": gettext_lazy("No e-conomic customer matched: would create this customer (dry run)."),
    "created": gettext_lazy("Created e-conomic customer %(number)s."),
    "review_chose_create": gettext_lazy("%(by)s chose to create a new customer in the review queue."),
    "review_choice_gone": gettext_lazy(
        "%(by)s chose e-conomic customer %(number)s in the review queue, but e-conomic no longer has it: "
        "nothing was linked. Retry to run the match rules again."
    ),
    "review_linked": gettext_lazy(
        "Linked to e-conomic customer %(number)s, as %(by)s chose in the review queue."
    ),
    "would_link_planned": gettext_lazy(
        "Would link to the e-conomic customer this run would create for %(planned_for)s, found by "
        "%(field)s with match rule %(rule)s (dry run)."
    ),
    "would_link": gettext_lazy(
        "Would link to e-conomic customer %(number)s, found by %(field)s with match rule %(rule)s (dry run)."
    ),
    "ambiguous_waits": gettext_lazy(
        "e-conomic customers %(numbers)s all have %(field)s “%(value)s”: this customer waits in the "
        "review queue for you to link one of them, create a new one, or skip it."
    ),
    "ambiguous_would_wait": gettext_lazy(
        "e-conomic customers %(numbers)s all have %(field)s “%(value)s”: this customer would wait in the "
        "review queue for you to link one of them, create a new one, or skip it."
    ),
    "ambiguous_failed": gettext_lazy(
        "Ambiguous match: e-conomic customers %(numbers)s all have %(field)s “%(value)s”. Merge or "
        "correct them in e-conomic, or add a more specific match rule."
    ),
    "number_taken": gettext_lazy(
        "Customer number %(number)s is already used in e-conomic: give this Stripe customer another "
        "number, or let e-conomic assign numbers."
    ),
    "number_stored": gettext_lazy("Stored the number in Stripe metadata “%(key)s”."),
    "stripe_has_none": gettext_lazy("Stripe has no customer %(stripe_id)s (any more): nothing to sync."),
    "stripe_account_unknown": gettext_lazy(
        "This merchant has several Stripe accounts (%(accounts)s) and this customer is not linked yet: "
        "say which account it is in."
    ),
    "number_not_stored": gettext_lazy(
        "Could not store the number in Stripe metadata “%(key)s” (%(reason)s); the next sync of this "
        "customer tries again."
    ),
    "number_not_shown": gettext_lazy("Stripe's answer does not show it"),
    "create_waits": gettext_lazy(
        "Another Stripe customer with the same match value is being created in e-conomic at this "
        "moment: this one waits for it, so the customer is not created twice."
    ),
    "unexpected_error": gettext_lazy("Unexpected error (%(error)s)."),
    # A stored event that is not synced.
    "not_customer_event": gettext_lazy("Not a customer.created/updated/deleted event."),
    "own_echo": gettext_lazy("The echo of our own write-back of the e-conomic number."),
    "unexpected": gettext_lazy(
        "Something unexpected went wrong while syncing (%(error)s), so the sync stopped there. Retry it "
        "from the sync log; if it fails again, contact support with this record."
    ),
    "gave_up_several": gettext_lazy(
        "Gave up after several attempts: %(reason)s Retry it from the sync log when fixed."
    ),
    "erased_kept": gettext_lazy(
        "Our copies of this customer's personal data (events, e-mail, messages, payloads) are erased; "
        "e-conomic customer %(number)s is your bookkeeping record and is left as it is (delete it in "
        "e-conomic if the law allows)."
    ),
    "erased_unlinked": gettext_lazy(
        "Our copies of this customer's personal data (events, e-mail, messages, payloads) are erased; "
        "No e-conomic customer was linked."
    ),
    "erased_deleted_in_stripe": gettext_lazy("Personal data erased (the customer was deleted in Stripe)."),
    "erased_on_request": gettext_lazy("Personal data erased (erasure requested)."),
    # An import's status line.
    "import_cancelling": gettext_lazy("Cancelling…"),
    "import_loading": gettext_lazy("Loading your e-conomic customers…"),
    "import_syncing": gettext_lazy("Syncing your Stripe customers…"),
    "import_replaced": gettext_lazy("Stopped without finishing; a new import replaced it."),
    "import_waiting": gettext_lazy("Waiting: %(reason)s It continues by itself from where it stopped."),
    "imported": gettext_lazy("Imported %(total)s Stripe customers: see each one in the sync log."),
    "dry_run_done": gettext_lazy(
        "Dry run of %(total)s Stripe customers: nothing was written; the report shows what would be."
    ),
    "import_plan_over_days": gettext_lazy(
        "The import will make about %(calls)s e-conomic calls: more than the %(left)s its agreement's "
        "daily budget leaves for imports now (%(per_window)s per 24 hours), so this import runs over "
        "%(days)s days, waiting whenever the budget is spent and continuing by itself."
    ),
}
# Sentences whose wording follows a count: ngettext_lazy picks the form by the value it names.
COUNTED = {
    "gave_up": ngettext_lazy(
        "Gave up after %(count)s attempt: %(reason)s Retry it from the sync log when fixed.",
        "Gave up after %(count)s attempts: %(reason)s Retry it from the sync log when fixed.",
        "count",
    ),
    "import_resumed": ngettext_lazy(
        "Resumed after %(count)s Stripe customer.", "Resumed after %(count)s Stripe customers.", "count"
    ),
    "import_cancelled": ngettext_lazy(
        "Cancelled after %(count)s Stripe customer; those are synced, the rest were not.",
        "Cancelled after %(count)s Stripe customers; those are synced, the rest were not.",
        "count",
    ),
    "import_cancelled_by_support": ngettext_lazy(
        "Cancelled by support: %(reason)s after %(count)s Stripe customer; those are synced, "
        "the rest were not.",
        "Cancelled by support: %(reason)s after %(count)s Stripe customers; those are synced, "
        "the rest were not.",
        "count",
    ),
    "import_plan_within": ngettext_lazy(
        "The import will make about %(calls)s e-conomic calls, within the %(left)s its agreement's daily "
        "budget leaves for imports now: about %(minutes)s minute.",
        "The import will make about %(calls)s e-conomic calls, within the %(left)s its agreement's daily "
        "budget leaves for imports now: about %(minutes)s minutes.",
        "minutes",
    ),
}
# Large figures ("62,000 calls") are grouped as the reader groups thousands.
_GROUPED = {"calls", "left", "per_window"}


def fact(code: str, **values) -> Fact:
    if code not in SENTENCES and code not in COUNTED:
        raise KeyError(f"No sentence for {code!r}")
    return {"code": code, "values": values}


def explanation(facts: Iterable[Fact] | None) -> str:
    """The facts as sentences in the active language."""
    return " ".join(text for text in (_sentence(f) for f in facts or ()) if text)


def in_english(facts: Iterable[Fact] | None) -> str:
    """The English sentences: what `message` keeps for searching, exports and support."""
    with translation.override("en"):
        return explanation(facts)


def _sentence(one: Fact | str) -> str:
    if isinstance(one, str):
        return one  # a warning stored as a sentence, before warnings were facts
    code, values = one.get("code"), dict(one.get("values") or {})
    if code in NOTES:
        return note_sentence(code, values)
    said = service_sentence(one)
    if said is not None:
        return said
    values = {name: _written(name, value) for name, value in values.items()}
    if code in COUNTED:
        return COUNTED[code] % values
    if code not in SENTENCES:
        return ""
    return str(SENTENCES[code]) % values


def _written(name: str, value):
    if name == "reason" and isinstance(value, list):
        # Why an attempt failed, itself facts (a record from before keeps its English text).
        return explanation(value)
    if name == "accounts" and isinstance(value, list):
        return ", ".join(f"“{account}”" for account in value) or _("none")
    if name == "field" and isinstance(value, str):
        return economic_field_words(value)
    if name == "fields" and isinstance(value, list):
        return ", ".join(economic_field_words(field) for field in value)
    if name == "value" and value in ("", None):
        return _("(empty)")
    if name == "numbers" and isinstance(value, list):
        return ", ".join(_candidate(number) for number in value)
    if name in _GROUPED and isinstance(value, int):
        return number_format(value, force_grouping=True)
    return value


def _candidate(number) -> str:
    if isinstance(number, int):
        return str(number)
    # A dry run's would-be customer, named by the Stripe customer it would be created for.
    return _("(the one this run would create for %(stripe_id)s)") % {"stripe_id": number}


_RULE = re.compile(r"^rule (\d+): (.+)$")


def match_rule_words(stored: str) -> str:
    """A record's match rule ("rule 1: email", stored in English) in the reader's language."""
    found = _RULE.match(stored or "")
    if not found:
        return stored or ""
    with translation.override("en"):
        names = {economic_field_words(name): name for name in ECONOMIC_FIELDS}
    name = names.get(found.group(2))
    words = economic_field_words(name) if name else found.group(2)
    return _("rule %(number)s: %(field)s") % {"number": found.group(1), "field": words}


def facts_redacted(facts: list | None, redact) -> list:
    """The facts without the customer's personal data: `value`s and `name`s go, other text is
    `redact`ed (a warning stored as a sentence, before warnings were facts, too)."""
    cleaned = []
    for one in facts or []:
        if isinstance(one, str):
            cleaned.append(redact(one))
            continue
        values = {}
        for name, value in (one.get("values") or {}).items():
            if name in ("value", "name"):
                values[name] = REMOVED
            elif isinstance(value, str):
                values[name] = redact(value)
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                values[name] = facts_redacted(value, redact)  # a reason given as facts
            else:
                values[name] = value
        cleaned.append({**one, "values": values})
    return cleaned
