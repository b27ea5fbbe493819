"""e-conomic's "Customer updated" web hook, as the reference describes it: triggered on creation,
deletion, any change or re-numbering of a customer, one request per customer, calling the URL set
up for the agreement with [NEWNUMBER] and [OLDNUMBER] filled in. No signature, no body to trust.

e-conomic's developer page ("Working with webhooks", e-conomic.com/developer/working-with-web-hooks)
says it invokes an HTTP POST (an older version of the page said GET or POST), not bundled, not
guaranteed instant, retried on failure; the emulator sends one POST with an empty body, after the
change commits, from a thread, so the API call that made the change never waits on it.
"""

import logging
import threading

import requests
from django.db import transaction

from .models import Agreement

logger = logging.getLogger(__name__)
NOTIFY_TIMEOUT_SECONDS = 5


def customer_changed(agreement: Agreement, *, number: int, old_number: int | None = None) -> None:
    url = agreement.customer_webhook_url
    if not url:
        return
    target = url.replace("[NEWNUMBER]", str(number)).replace("[OLDNUMBER]", str(old_number or number))
    transaction.on_commit(lambda: threading.Thread(target=_send, args=(target,), daemon=True).start())


def _send(url: str) -> None:
    try:
        requests.post(url, timeout=NOTIFY_TIMEOUT_SECONDS)
    except requests.RequestException:
        logger.warning("The e-conomic emulator's customer web hook could not be delivered")
