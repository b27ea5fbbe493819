"""What e-conomic and Stripe answered, and what a connection's state is, kept as facts.

A client's error carries `said`, a sentence's code and its values (`syncapp/clients`: they know no
Django, so no translations); what is stored from it (a connection's `last_error`, a pause's note, an
event's error, a sync record) keeps that as a fact, `{"code": ..., "values": {...}}`, and the page
writes the sentence in its reader's language. The services' own words (e-conomic's `message`, a
field error, Stripe's `user_message`) are values quoted as they came, or a `quoted` fact of their
own. The English sentences here are the clients' `message`s word for word
(`tests/syncapp/test_said.py` holds them together). `customers/explanations.py` writes these codes
too, beside the sync's own.
"""

from collections.abc import Iterable

from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

Fact = dict  # {"code": str, "values": {...}}
QUOTED = "quoted"

SERVICE_SENTENCES = {
    # e-conomic (syncapp/clients/economic.py)
    "economic_foreign_page": gettext_lazy(
        "e-conomic answered with a next page on another server; stopped there."
    ),
    "economic_paced": gettext_lazy(
        "Calls to e-conomic are paced for this agreement; trying again in %(seconds)s seconds."
    ),
    "economic_write_lost": gettext_lazy(
        "e-conomic did not confirm the change (the connection was lost); we will check whether it was "
        "made before trying again."
    ),
    "economic_no_answer": gettext_lazy("e-conomic is not answering right now; we will try again."),
    "economic_write_unreadable": gettext_lazy(
        "e-conomic sent an unreadable answer to a change; we will check it."
    ),
    "economic_unreadable": gettext_lazy("e-conomic sent an unreadable answer; we will try again."),
    "economic_budget_background": gettext_lazy(
        "e-conomic allows %(limit)s calls per 24 hours for this agreement and %(used)s are used: work "
        "that can wait (imports) pauses here, keeping the rest for new customers; it continues by itself "
        "in about %(minutes)s."
    ),
    "economic_budget_spent": gettext_lazy(
        "e-conomic's daily budget for this agreement is used up (%(used)s of %(limit)s calls in 24 "
        "hours): syncs pause and resume by themselves in about %(minutes)s, as the 24 hours free calls."
    ),
    # `detail` is e-conomic's own words (its message, or the field errors it listed).
    "economic_refused_request": gettext_lazy("e-conomic refused the request: %(detail)s"),
    "economic_refused_access": gettext_lazy(
        "e-conomic refused access (%(detail)s): reconnect e-conomic on the Connections page."
    ),
    "economic_not_found": gettext_lazy("e-conomic does not have it (%(detail)s)."),
    "economic_throttled_for": gettext_lazy(
        "e-conomic asked us to slow down; trying again in %(seconds)s seconds."
    ),
    "economic_throttled": gettext_lazy("e-conomic asked us to slow down; trying again shortly."),
    "economic_server_error": gettext_lazy("e-conomic had a problem (HTTP %(status)s); we will try again."),
    "economic_answered": gettext_lazy("e-conomic answered HTTP %(status)s: %(detail)s"),
    # Stripe (syncapp/clients/stripe.py); Stripe's own message, when it gave one, is quoted instead.
    "stripe_grant_refused": gettext_lazy(
        "Stripe no longer accepts our app's access for this account (it was removed, revoked or "
        "expired): connect with Stripe again."
    ),
    "stripe_app_refused": gettext_lazy("Stripe refused the app's request (%(code)s)."),
    "stripe_key_refused": gettext_lazy(
        "Stripe did not accept the API key: check that it was copied in full and has not been "
        "revoked or rolled."
    ),
    "stripe_key_lacks_permission": gettext_lazy(
        "The Stripe API key lacks a permission this needs: give the restricted key Customers: "
        "Write, Events: Read and Webhook Endpoints: Write."
    ),
    "stripe_throttled": gettext_lazy("Stripe asked us to slow down (rate limit)."),
    "stripe_unreachable": gettext_lazy("Could not reach Stripe (network error or timeout)."),
    "stripe_busy": gettext_lazy("Stripe was busy with this customer (409, lock timeout)."),
    "stripe_not_found": gettext_lazy("Stripe could not find it."),
    "stripe_rejected": gettext_lazy("Stripe rejected the request."),
    "stripe_server_error": gettext_lazy("Stripe had an internal error (HTTP %(status)s)."),
    "stripe_answered": gettext_lazy("Stripe answered HTTP %(status)s."),
    # A credential checked before it is stored (syncapp/connections): nothing was stored.
    "check_nothing_saved": gettext_lazy("Nothing was saved."),
    "check_nothing_saved_connect_again": gettext_lazy("Nothing was saved: connect again."),
    "stripe_publishable_key": gettext_lazy(
        "That is a publishable key (pk_…): paste a restricted key (rk_…) or a secret key (sk_…)."
    ),
    "stripe_not_a_key": gettext_lazy(
        "That does not look like a Stripe API key: one starts with rk_test_, rk_live_, sk_test_ or sk_live_."
    ),
    "stripe_not_a_signing_secret": gettext_lazy(
        "A webhook signing secret starts with whsec_ (see the endpoint in Stripe)."
    ),
    "stripe_account_name_too_long": gettext_lazy("Give the account a name of at most %(max)s characters."),
    "stripe_paste_key": gettext_lazy("Paste your Stripe API key (rk_… or sk_…)."),
    "stripe_paste_key_or_secret": gettext_lazy("Paste a new API key or a webhook signing secret."),
    "stripe_check_unreachable": gettext_lazy(
        "Stripe could not be reached to check the key. Nothing was saved: try again."
    ),
    # `detail` is Stripe's own words, or our English sentence for its answer.
    "stripe_check_refused": gettext_lazy("Stripe refused: %(detail)s Nothing was saved."),
    "economic_no_grant": gettext_lazy("e-conomic sent no access grant: connect again."),
    "economic_grant_refused": gettext_lazy(
        "e-conomic did not accept the access grant (it may have been revoked, or access was not granted "
        "to this app). Nothing was saved: connect again."
    ),
    "economic_check_unreachable": gettext_lazy(
        "e-conomic could not be reached to check the access grant. Nothing was saved: try again in a minute."
    ),
    # A connection's state (syncapp/connections) and what to do about it.
    "paste_working_key": gettext_lazy("Paste a working key on the Connections page."),
    "stripe_app_removed": gettext_lazy(
        "Our app's access was removed in Stripe, so syncing from this account is paused. Click "
        "“Connect with Stripe” to connect it again: what changed meanwhile is caught up."
    ),
    "economic_not_connected": gettext_lazy("e-conomic is not connected: connect it on the Connections page."),
    "stripe_not_connected": gettext_lazy("Stripe is not connected: add its API key on the Connections page."),
    "stripe_account_not_connected": gettext_lazy(
        "Stripe account “%(account)s” is not connected: add its API key on the Connections page."
    ),
    "stripe_app_not_connected": gettext_lazy(
        "Stripe account “%(account)s” is not connected: click “Connect with Stripe” on the Connections page."
    ),
}
# Figures a merchant reads grouped ("10,000 calls"), as the reader groups thousands.
_GROUPED = {"limit", "used"}


def said_fact(said: tuple[str, dict] | None, message: str) -> Fact:
    """An error's `said` as a fact; an error without one (a third party's) is quoted."""
    if said is None:
        return quoted(message)
    return {"code": said[0], "values": dict(said[1])}


def error_facts(exc: Exception) -> list[Fact]:
    """A client's (or a connection's) error as facts, ready to store."""
    return [said_fact(getattr(exc, "said", None), getattr(exc, "message", None) or str(exc))]


def said(code: str, **values) -> Fact:
    """One of this module's sentences, as a fact to raise or store."""
    return {"code": code, "values": values}


def quoted(text: str) -> Fact:
    """Text we only have as it came (what a service answered), shown as it came."""
    return {"code": QUOTED, "values": {"text": text}}


def service_sentence(one: Fact) -> str | None:
    """One fact of this module's in the active language; None when the code is not one of ours."""
    code, values = one.get("code"), one.get("values") or {}
    if code == QUOTED:
        return str(values.get("text", ""))
    if code not in SERVICE_SENTENCES:
        return None
    return str(SERVICE_SENTENCES[code]) % {name: _written(name, value) for name, value in values.items()}


def said_text(facts: Iterable[Fact] | None, stored: str = "") -> str:
    """The facts in the active language; a row older than its facts shows what it stored."""
    if not facts:
        return stored
    return " ".join(text for text in (service_sentence(f) for f in facts) if text)


def said_in_english(facts: Iterable[Fact]) -> str:
    """The English sentences: what is stored beside the facts for support, logs and searching."""
    with translation.override("en"):
        return said_text(facts)


def _written(name: str, value):
    if name in _GROUPED and isinstance(value, int):
        return number_format(value, force_grouping=True)
    if name == "minutes" and isinstance(value, int):
        hours, minutes = divmod(value, 60)
        if hours:
            return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
        return _("%(minutes)s min") % {"minutes": minutes}
    return value
