"""Throttles repeated failed logins, per username and per client address."""

from django.conf import settings
from django.core.cache import cache


def _keys(username: str, address: str) -> list[str]:
    return [f"login-failures:user:{username.lower()}", f"login-failures:ip:{address}"]


def is_throttled(username: str, address: str) -> bool:
    limit = settings.PLAYGROUND_LOGIN_FAILURE_LIMIT
    return any((cache.get(key) or 0) >= limit for key in _keys(username, address))


def record_failure(username: str, address: str) -> None:
    window = settings.PLAYGROUND_LOGIN_THROTTLE_SECONDS
    for key in _keys(username, address):
        cache.add(key, 0, window)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, window)


def clear_failures(username: str, address: str) -> None:
    cache.delete_many(_keys(username, address))
