"""Failed logins are throttled firmly per username and address together, softly apart.

The limit is 3 here and the longest wait 5 s. A login's wait is recorded rather than slept
(PLAYGROUND_LOGIN_SLEEP), so these tests check the wait the throttle chose, never a time.
"""

import logging
from dataclasses import dataclass

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.http import HttpResponse
from django.test import Client

from ..factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

REFUSED = "Too many failed logins to this account from your address."

waits: list[float] = []


async def record_wait(seconds: float) -> None:
    waits.append(seconds)


@pytest.fixture(autouse=True)
def fresh_counts(settings):
    settings.PLAYGROUND_LOGIN_FAILURE_LIMIT = 3
    settings.PLAYGROUND_LOGIN_MAX_WAIT = 5
    settings.PLAYGROUND_LOGIN_SLEEP = f"{__name__}.record_wait"
    waits.clear()
    cache.clear()
    yield
    cache.clear()


@dataclass
class Login:
    response: HttpResponse
    client: Client
    # What the login view waited before checking the password.
    waited: float

    @property
    def logged_in(self) -> bool:
        return self.client.session.get(SESSION_KEY) is not None

    @property
    def refused(self) -> bool:
        return REFUSED in self.response.text


def log_in(username, password, address, **headers) -> Login:
    """One attempt, by someone with a browser of their own at address (REMOTE_ADDR)."""
    client = Client()
    before = len(waits)
    response = client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        **headers,
    )
    return Login(response, client, sum(waits[before:]))


def test_a_guesser_elsewhere_cannot_lock_admin_out():
    make_user("admin", is_staff=True, is_superuser=True)
    for _ in range(6):
        assert not log_in("admin", "guess", "198.51.100.7").logged_in

    admin = log_in("admin", PASSWORD, "10.0.0.2")

    assert admin.logged_in
    # The guesser's pair was refused after 3 failures, unchecked and uncounted since: 3
    # failures for the name, so admin waits 1 s.
    assert admin.waited == 1


def test_the_pair_is_refused_after_the_limit_even_with_the_right_password(alice, bob):
    for _ in range(3):
        assert (
            "Please enter a correct username" in log_in("alice", "wrong", "10.0.0.1").response.text
        )

    again = log_in("alice", PASSWORD, "10.0.0.1")

    assert again.refused
    assert "Try again in 15 minutes." in again.response.text
    assert not again.logged_in
    assert again.waited == 0  # Refused at once: no password is checked.
    assert log_in("alice", PASSWORD, "10.0.0.1").refused


def test_the_refusal_is_for_that_pair_only(alice, bob):
    for _ in range(3):
        log_in("alice", "wrong", "10.0.0.1")

    assert log_in("bob", PASSWORD, "10.0.0.1").logged_in
    assert log_in("alice", PASSWORD, "10.0.0.2").logged_in


def test_waits_grow_with_failures_for_a_username_from_anywhere(alice):
    tries = [log_in("alice", "wrong", f"10.0.1.{n}") for n in range(8)]

    assert [login.waited for login in tries] == [0, 0, 0, 1, 2, 4, 5, 5]
    assert not any(login.refused for login in tries)


def test_waits_grow_with_failures_from_an_address_for_any_username(alice):
    tries = [log_in(f"nobody{n}", "wrong", "10.0.0.1") for n in range(8)]

    assert [login.waited for login in tries] == [0, 0, 0, 1, 2, 4, 5, 5]


def test_ipv6_addresses_count_by_their_64_bit_prefix(alice):
    tries = [log_in(f"nobody{n}", "wrong", f"2001:db8:1:2::{n:x}") for n in range(5)]

    assert [login.waited for login in tries] == [0, 0, 0, 1, 2]


def test_a_success_does_not_reset_the_address_count(charlie):
    for n in range(3):
        log_in(f"nobody{n}", "wrong", "10.0.0.1")

    charlie_login = log_in("charlie", PASSWORD, "10.0.0.1")
    after = log_in("nobody", "wrong", "10.0.0.1")

    assert charlie_login.logged_in
    assert charlie_login.waited == 1
    # Still 3 failures from the address: not reset by charlie's login.
    assert after.waited == 1


def test_a_success_before_the_limit_clears_the_pairs_count(alice):
    for _ in range(2):
        log_in("alice", "wrong", "10.0.0.1")
    assert log_in("alice", PASSWORD, "10.0.0.1").logged_in

    for _ in range(2):
        log_in("alice", "wrong", "10.0.0.1")
    assert log_in("alice", PASSWORD, "10.0.0.1").logged_in


def test_the_username_counts_whatever_its_case_or_spaces(alice):
    for name in ["ALICE", " alice", "Alice"]:
        log_in(name, "wrong", "10.0.0.1")

    assert log_in("alice", PASSWORD, "10.0.0.1").refused


def test_a_forged_x_forwarded_for_changes_nothing_without_trusted_proxies(alice, caplog):
    caplog.set_level(logging.WARNING, logger="playground")
    forged = [f"203.0.113.{n}" for n in range(1, 6)]

    tries = [
        log_in(f"nobody{n}", "wrong", "10.0.0.1", HTTP_X_FORWARDED_FOR=address)
        for n, address in enumerate(forged)
    ]
    for address in forged[:3]:
        log_in("alice", "wrong", "10.0.0.1", HTTP_X_FORWARDED_FOR=address)

    # One address, 10.0.0.1, was counted: its waits grow, and its pair with alice is refused.
    assert [login.waited for login in tries] == [0, 0, 0, 1, 2]
    assert log_in("alice", PASSWORD, "10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.99").refused
    assert "10.0.0.1" in caplog.text
    assert not any(address in caplog.text for address in forged)


def test_behind_a_trusted_proxy_the_address_it_appended_counts(alice, settings):
    settings.PLAYGROUND_TRUSTED_PROXIES = ["10.9.0.0/16"]
    # The proxy appends whom it got the request from after what the client sent.
    for n in range(3):
        log_in("alice", "wrong", "10.9.0.1", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 203.0.113.5")

    from_there = log_in("alice", PASSWORD, "10.9.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    from_elsewhere = log_in(
        "alice", PASSWORD, "10.9.0.2", HTTP_X_FORWARDED_FOR="203.0.113.5, 203.0.113.6"
    )

    assert from_there.refused
    assert from_elsewhere.logged_in


def test_logins_go_on_unthrottled_while_redis_is_down(alice, settings):
    # The Redis cache as settings.py sets it up, where nothing listens (port 9): every
    # cache call fails, as with Redis down.
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True},
        }
    }
    tries = [log_in("alice", "wrong", "10.0.0.1") for _ in range(5)]

    assert [login.waited for login in tries] == [0] * 5
    assert log_in("alice", PASSWORD, "10.0.0.1").logged_in


def test_the_admins_login_form_goes_through_the_throttled_one():
    make_user("admin", is_staff=True, is_superuser=True)
    client = Client()

    response = client.post(
        "/admin/login/?next=/admin/", {"username": "admin", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/admin/"
    assert SESSION_KEY not in client.session
