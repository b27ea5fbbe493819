"""Secrets at rest: a model field encrypted with MultiFernet, and a log filter that redacts."""

import logging
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
# e-conomic grant token that arrives as `?token=` on the grant callback (a request log line).
_SECRET_PATTERN = re.compile(r"\b(sk|rk|whsec)_(live_|test_)?[0-9A-Za-z]{6,}|([?&]token=)[^&\s\"']+")


def _redact(match: re.Match) -> str:
    return match.group(3) + "••••" if match.group(3) else match.group(1) + "_••••"


class RedactSecretsFilter(logging.Filter):
    """Last line of defence: a secret that slips into a log message is replaced by its mask."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _SECRET_PATTERN.search(message):
            record.msg = _SECRET_PATTERN.sub(_redact, message)
            record.args = None
        return True
