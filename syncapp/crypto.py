"""Secrets at rest: a model field encrypted with MultiFernet and the rotation of its keys; and the
redaction of secrets from logs and error reports."""

import logging
import logging.config
import re
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction


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
    return _decrypted(settings.FIELD_ENCRYPTION_KEY, token)


# Every sync reads its connections' secrets, and a Fernet decryption costs more CPU than the rest
# of reading the row: a worker keeps the plaintext of the secrets it has read (its API clients
# hold them anyway). Keyed by the key list too, so a rotated or removed key is decrypted afresh.
@lru_cache(maxsize=1024)
def _decrypted(keys: str, token: str) -> str:
    try:
        return _fernet(keys).decrypt(token.encode()).decode()
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


def encrypted_fields() -> list[tuple[type[models.Model], list[EncryptedTextField]]]:
    """Every model with encrypted columns, found through the app registry, with those columns."""
    found = []
    for model in apps.get_models():
        # Local fields only: a multi-table child does not own its parent's columns.
        fields = [f for f in model._meta.local_concrete_fields if isinstance(f, EncryptedTextField)]
        if fields and not model._meta.proxy:
            found.append((model, fields))
    return found


def encryption_key_rotate(*, dry_run: bool = False) -> dict:
    """Re-encrypt every stored secret that is not yet under the first key of FIELD_ENCRYPTION_KEY
    (MultiFernet.rotate), so that the other keys can then be dropped. All or nothing: a secret no
    key decrypts stops the run before anything is written. Returns the counts, per model too."""
    keys = settings.FIELD_ENCRYPTION_KEY
    every_key = _fernet(keys)
    first_key = _fernet(next(k for k in keys.split(",") if k.strip()))
    report = {"dry_run": dry_run, "secrets": 0, "reencrypted": 0, "already_current": 0, "models": {}}
    with transaction.atomic():
        for model, fields in encrypted_fields():
            counts = {"secrets": 0, "reencrypted": 0}
            # The ciphertext as stored: read as plain text, past the field's decryption.
            ciphertexts = {
                f"ciphertext_{f.attname}": models.ExpressionWrapper(
                    models.F(f.attname), output_field=models.TextField()
                )
                for f in fields
            }
            rows = model._base_manager.annotate(**ciphertexts).values_list("pk", *ciphertexts)
            if not dry_run:
                rows = rows.select_for_update()  # a secret saved meanwhile is not overwritten
            for pk, *tokens in rows:
                rotated = {}
                for field, token in zip(fields, tokens, strict=True):
                    if not token:
                        continue
                    counts["secrets"] += 1
                    try:
                        first_key.decrypt(token.encode())
                        continue
                    except InvalidToken:
                        pass
                    try:
                        new_token = every_key.rotate(token.encode()).decode()
                    except InvalidToken as exc:
                        raise ImproperlyConfigured(
                            f"{model._meta.label}.{field.name} of row {pk} cannot be decrypted with any "
                            "key of FIELD_ENCRYPTION_KEY: nothing was re-encrypted. Put the key it was "
                            "encrypted with back in the list."
                        ) from exc
                    # A plain-text Value, so the field does not encrypt the ciphertext again.
                    rotated[field.attname] = models.Value(new_token, output_field=models.TextField())
                counts["reencrypted"] += len(rotated)
                if rotated and not dry_run:
                    model._base_manager.filter(pk=pk).update(**rotated)
            report["models"][model._meta.label] = counts
            report["secrets"] += counts["secrets"]
            report["reencrypted"] += counts["reencrypted"]
    report["already_current"] = report["secrets"] - report["reencrypted"]
    return report


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
