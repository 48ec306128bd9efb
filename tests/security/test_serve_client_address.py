"""A client of the server `manage.py serve` runs cannot choose its own address.

A real daphne, started with serve's options (tests/support/live_daphne.py), no proxy
trusted: X-Forwarded-For must change neither the address the login throttle counts nor the
one daphne logs.
"""

import re

import httpx
import pytest

pytestmark = pytest.mark.subprocess


@pytest.fixture
def daphne_server_env():
    return {"PLAYGROUND_LOGIN_FAILURE_LIMIT": "2"}


def log_in(client, username, password, forwarded_for):
    headers = {"X-Forwarded-For": forwarded_for}
    page = client.get("/accounts/login/", headers=headers)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    return client.post(
        "/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers=headers,
    )


def test_x_forwarded_for_chooses_neither_the_counted_nor_the_logged_address(daphne_server):
    # A name no other test logs in with: the pair it locks stays locked (in Redis, with
    # REDIS_URL) for PLAYGROUND_LOGIN_THROTTLE_SECONDS, past the end of this test run.
    alice = daphne_server.create_user("xff-alice")
    forged = ["203.0.113.1", "203.0.113.2", "203.0.113.3"]

    with httpx.Client(base_url=daphne_server.url, timeout=10) as client:
        log_in(client, "xff-alice", "wrong", forged[0])
        log_in(client, "xff-alice", "wrong", forged[1])
        reply = log_in(client, "xff-alice", alice.password, forged[2])

    # Both failures counted against alice from the one real address, 127.0.0.1.
    assert "Too many failed logins to this account from your address." in reply.text
    log = daphne_server.log_tail(200)
    assert "127.0.0.1" in log
    assert not any(address in log for address in forged)
