"""Secrets at rest: a model field encrypted with MultiFernet, and a log filter that redacts."""

import logging
import logging.config
import re
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: str) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k.strip()) for k in keys.split(",") if k.strip()])
    except ValueError as exc:  # empty list or a malformed key
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be one or more comma-separated Fernet keys "
            "(make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')"
        ) from exc


def encrypt(plaintext: str) -> str:
    return _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(settings.FIELD_ENCRYPTION_KEY).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEY: was a key removed "
            "from the list before every secret was re-encrypted?"
        ) from exc


def masked(secret: str) -> str:
    """What a form or page may show of a secret: that it is set, and its last four characters."""
    return f"•••• {secret[-4:]}" if secret else ""


class EncryptedTextField(models.TextField):
    """Stores Fernet ciphertext; Python code sees the plaintext. Empty stays empty."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value


# Patterns of the secrets this product handles: Stripe keys and webhook secrets, and the
# e-conomic grant token that arrives as `?token=` on the grant callback (a request log line, or a
# bare query string as error reports carry it).
_SECRET_PATTERN = re.compile(
    r"\b(?P<stripe>sk|rk|whsec)_(?:live_|test_)?[0-9A-Za-z]{6,}"
    r"|(?P<param>(?:^|[?&])token=)[^&\s\"']+"
)


def _mask(match: re.Match) -> str:
    if match.group("param") is not None:
        return match.group("param") + "••••"
    return match.group("stripe") + "_••••"


def redact(text: str) -> str:
    """The text with every secret it contains replaced by its mask."""
    return _SECRET_PATTERN.sub(_mask, text)


class RedactSecretsFilter(logging.Filter):
    """Last line of defence: a secret that slips into a log record is replaced by its mask, in the
    message with its arguments, in the formatted traceback and in the stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: logging reports msg and args raw, so mask them here
            message = f"{record.msg} (arguments: {record.args!r})"
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set, so the traceback is printed as masked here.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def redact_every_handler() -> None:
    """Put the filter on every handler now attached to a logger: ours, Django's, gunicorn's, and
    those Celery installs in a worker (which replace the ones LOGGING made)."""
    named = logging.Logger.manager.loggerDict.values()
    loggers = [logging.getLogger(), *(lg for lg in named if isinstance(lg, logging.Logger))]
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, RedactSecretsFilter) for f in handler.filters):
                handler.addFilter(RedactSecretsFilter())


def configure_logging(config: dict) -> None:
    """LOGGING_CONFIG: Django's dictConfig, then redaction on every handler it left in place."""
    logging.config.dictConfig(config)
    redact_every_handler()


def redact_sentry_event(event: dict, hint: dict | None = None) -> dict:
    """Sentry's before_send: every string of the event (message, exception values, breadcrumbs,
    frame variables, request data) passes through the same redaction as the logs."""
    return _redact_strings(event)


def _redact_strings(value):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redact_strings(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_strings(item) for item in value]
    return value
