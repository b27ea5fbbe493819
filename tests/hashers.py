"""The password hasher of the test run (tests/settings.py)."""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class OneRoundPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Production's algorithm and hash format (`pbkdf2_sha256$…`) at one round instead of a
    million: every factory user has a password, and at production cost (about 0.2 s of CPU each)
    hashing them was a fifth of the suite's CPU. The tests check who may log in, never how hard a
    stolen hash is to crack; production keeps Django's default hashers (syncapp/settings.py)."""

    iterations = 1
