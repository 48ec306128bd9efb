"""Logging in and out."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache

from ..factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_failed_logins_counted():
    """With REDIS_URL the throttle's counts outlive a test run: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


def test_the_login_page_shows_the_form(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


def test_it_logs_in_and_goes_to_the_playground(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == "/"
    assert client.session[SESSION_KEY] == str(alice.pk)
    assert client.get("/", follow=True).status_code == 200


def test_it_goes_back_to_the_page_asked_for(client, alice):
    response = client.post(
        "/accounts/login/?next=/providers/",
        {"username": "alice", "password": PASSWORD, "next": "/providers/"},
    )

    assert response.url == "/providers/"


def test_it_rejects_a_wrong_password(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})

    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    assert b"correct username and password" in response.content


def test_logout_ends_the_session(alice_client):
    response = alice_client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/"
    assert alice_client.get("/").status_code == 302


def test_the_playground_requires_login(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/"
