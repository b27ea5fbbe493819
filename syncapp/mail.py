"""The e-mails we send (invitations, verification, alerts, account closing) go out here.

A subject holds names merchants chose (a company, a tenant): a line break in one would make
Django refuse the header (BadHeaderError) after the work it reports was done, so every kind of
line break and run of spaces in a subject becomes one space.
"""

from django.core.mail import send_mail


def one_line(text: str) -> str:
    """`text` with every run of whitespace (line breaks of any kind included) as one space."""
    return " ".join(text.split())


def mail_send(*, subject: str, message: str, recipients: list[str]) -> int:
    """Send a plain-text e-mail from DEFAULT_FROM_EMAIL; the number sent (0 without recipients)."""
    return send_mail(subject=one_line(subject), message=message, from_email=None, recipient_list=recipients)
