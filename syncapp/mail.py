"""The e-mails we send (invitations, verification, alerts, account closing) go out here.

A subject holds names merchants chose (a company, a tenant): a line break in one would make
Django refuse the header (BadHeaderError) after the work it reports was done, so every kind of
line break and run of spaces in a subject becomes one space.
"""

from collections.abc import Callable, Iterable

from django.core.mail import send_mail
from django.utils import translation

from .language import by_language


def one_line(text: str) -> str:
    """`text` with every run of whitespace (line breaks of any kind included) as one space."""
    return " ".join(text.split())


def mail_send(*, subject: str, message: str, recipients: list[str]) -> int:
    """Send a plain-text e-mail from DEFAULT_FROM_EMAIL; the number sent (0 without recipients)."""
    return send_mail(subject=one_line(subject), message=message, from_email=None, recipient_list=recipients)


def mail_send_in_languages(
    *, recipients: Iterable[tuple[str, str]], compose: Callable[[], tuple[str, str]]
) -> int:
    """E-mail members each in their own language: `recipients` are (e-mail, language) pairs,
    `compose()` returns (subject, message) and is called once per language with it active. The
    number of e-mails sent (one per language; members reading one language share one e-mail)."""
    sent = 0
    for language, emails in by_language(recipients).items():
        with translation.override(language):
            subject, message = compose()
        sent += mail_send(subject=subject, message=message, recipients=emails)
    return sent
