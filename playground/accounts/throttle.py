"""Throttles failed logins: firmly per username and address together, softly apart.

Locking a username out after a few failures would let anyone lock anyone out, admin
included; locking an address out would let a successful login from there, or a forged
address, undo it. So:

- a username that fails PLAYGROUND_LOGIN_FAILURE_LIMIT times from one address is refused
  from that address, without its password being checked, for
  PLAYGROUND_LOGIN_THROTTLE_SECONDS after the last of those failures;
- past as many failures for a username from anywhere, or from an address for any username,
  each attempt waits before its password is checked: 1 s, twice as long with each further
  failure, at most PLAYGROUND_LOGIN_MAX_WAIT. A person whose name is under attack from
  elsewhere still gets in from their own address, after that wait.

Failures count for PLAYGROUND_LOGIN_THROTTLE_SECONDS from the first one. A success clears
its own pair's count only: the failures of others at the same address, or at the same
username from elsewhere, still count. An attempt counts as a failure from the moment it
starts until it succeeds, so attempts sent all at once wait in turn, and no burst gets more
than the limit of passwords checked.

The counts live in the cache, shared by every process when REDIS_URL is set. While Redis is
down that cache keeps nothing (django-redis's IGNORE_EXCEPTIONS, settings.py): every call
answers as a miss, incr() and decr() with None, so every attempt counts as a first one, and
logins go on, unthrottled, until Redis is back.

The address is the client's as playground/trusted_proxies.py resolves it.
"""

import hashlib
import ipaddress
import logging
import math
import time
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from playground.trusted_proxies import parse_ip

logger = logging.getLogger(__name__)

# 2 ** 30 seconds is far past any sensible PLAYGROUND_LOGIN_MAX_WAIT: a bound on the power.
_MAX_DOUBLINGS = 30


def _digest(text: str) -> str:
    # Any text makes a short key that any cache takes.
    return hashlib.sha256(text.encode(errors="surrogatepass")).hexdigest()[:32]


def _name_key(username: str) -> str:
    # Folded as Django's login form folds what people type (NFKC), and case too, so that
    # "Admin" and "ADMIN" count against "admin".
    return _digest(unicodedata.normalize("NFKC", username).strip().casefold())


def _address_key(address: str) -> str:
    ip = parse_ip(address)
    if ip is None:
        return _digest(address)
    if ip.version == 6:
        # An IPv6 host is usually given a whole /64 and can pick any address in it.
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


@dataclass(frozen=True)
class Attempt:
    """One login attempt, as the throttle admitted it."""

    username: str
    address: str
    # Seconds until this username may try again from this address; 0 when admitted.
    refused_for: int = 0
    # Seconds to wait before checking the password.
    wait: float = 0
    # The pair's failures, this attempt included.
    pair_failures: int = 0

    @property
    def _name(self) -> str:
        return _name_key(self.username)

    @property
    def _address(self) -> str:
        return _address_key(self.address)

    @property
    def pair_key(self) -> str:
        return f"login-failures:pair:{self._name}:{self._address}"

    @property
    def lock_key(self) -> str:
        return f"login-locked:pair:{self._name}:{self._address}"

    @property
    def soft_keys(self) -> list[str]:
        return [f"login-failures:user:{self._name}", f"login-failures:ip:{self._address}"]


def wait_after(failures: int) -> float:
    """Seconds to wait before checking a password, after this many failures for its username
    or from its address."""
    over = failures - settings.PLAYGROUND_LOGIN_FAILURE_LIMIT
    if over < 0:
        return 0
    return min(2 ** min(over, _MAX_DOUBLINGS), settings.PLAYGROUND_LOGIN_MAX_WAIT)


def begin(username: str, address: str) -> Attempt:
    """Admits (and counts) an attempt, or refuses it; says how long it must wait first."""
    attempt = Attempt(username, address)
    unlocks_at = cache.get(attempt.lock_key)
    if unlocks_at is not None:
        return Attempt(username, address, refused_for=max(math.ceil(unlocks_at - time.time()), 1))
    pair_failures = _count(attempt.pair_key)
    if pair_failures > settings.PLAYGROUND_LOGIN_FAILURE_LIMIT:
        # As many attempts of the pair are being checked at this moment as it may have.
        return Attempt(username, address, refused_for=settings.PLAYGROUND_LOGIN_THROTTLE_SECONDS)
    earlier_failures = max(_count(key) for key in attempt.soft_keys) - 1
    return Attempt(
        username, address, wait=wait_after(earlier_failures), pair_failures=pair_failures
    )


def succeeded(attempt: Attempt) -> None:
    """The password was right: the pair starts afresh; everyone else's failures still count."""
    cache.delete(attempt.pair_key)
    for key in attempt.soft_keys:
        _uncount(key)


def failed(attempt: Attempt) -> None:
    """The password was wrong (counted already): locks the pair once it reached the limit."""
    if attempt.pair_failures < settings.PLAYGROUND_LOGIN_FAILURE_LIMIT:
        return
    seconds = settings.PLAYGROUND_LOGIN_THROTTLE_SECONDS
    cache.set(attempt.lock_key, time.time() + seconds, seconds)
    logger.warning(
        "Logins as %r from %s are refused for %d s after %d failures.",
        attempt.username[:150],
        attempt.address,
        seconds,
        attempt.pair_failures,
    )


def _count(key: str) -> int:
    """Adds one to the count at key, kept for the window from its first count; returns it."""
    window = settings.PLAYGROUND_LOGIN_THROTTLE_SECONDS
    cache.add(key, 0, window)
    try:
        # Keeps the key's expiry, and never makes a key: django-redis checks that it exists
        # and increments it in one Lua script, and the local-memory cache holds a lock.
        count = cache.incr(key)
    except ValueError:
        # Gone since add(): it expired just then.
        count = None
    if count is None:
        # Expired, or Redis is down (the cache keeps nothing): a first count either way.
        cache.set(key, 1, window)
        return 1
    return count


def _uncount(key: str) -> None:
    try:
        count = cache.decr(key)
    except ValueError:
        return
    # None: Redis is down, and there is nothing to clear.
    if count is not None and count <= 0:
        # Nothing left to count.
        cache.delete(key)
