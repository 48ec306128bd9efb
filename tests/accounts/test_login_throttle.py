"""Repeated failed logins are throttled, per username and per address."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache

from ..factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_counts(settings):
    settings.PLAYGROUND_LOGIN_FAILURE_LIMIT = 3
    cache.clear()
    yield
    cache.clear()


def log_in(client, password, username="alice", address="10.0.0.1"):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_it_throttles_after_repeated_failures(client, alice):
    for _ in range(3):
        assert "Please enter a correct username" in log_in(client, "wrong").text

    response = log_in(client, PASSWORD)

    assert "Too many failed logins" in response.text
    assert SESSION_KEY not in client.session


def test_the_throttle_holds_for_the_username_from_another_address(client, alice):
    for _ in range(3):
        log_in(client, "wrong", address="10.0.0.1")

    assert "Too many failed logins" in log_in(client, PASSWORD, address="10.0.0.2").text


def test_the_throttle_holds_for_the_address_with_other_usernames(client, alice, bob):
    for _ in range(3):
        log_in(client, "wrong", username="nobody")

    assert "Too many failed logins" in log_in(client, PASSWORD, username="bob").text


def test_a_success_before_the_limit_clears_the_count(client, alice):
    for _ in range(2):
        log_in(client, "wrong")
    assert log_in(client, PASSWORD).status_code == 302
    client.logout()

    for _ in range(2):
        log_in(client, "wrong")
    assert log_in(client, PASSWORD).status_code == 302
