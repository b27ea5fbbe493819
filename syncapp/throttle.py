"""Hourly limits counted in the shared cache (Redis in production): sign-up attempts per client
address, verification links and password-reset e-mails per account."""

from django.core.cache import cache


def within_hourly_limit(*, key: str, limit: int) -> bool:
    """Count one more under `key`; False once more than `limit` were counted within the hour that
    began with the first."""
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # the hour ended between add and incr
        cache.set(key, count := 1, timeout=3600)
    return count <= limit
