"""The browser tests' live server: its database, its restarts, and the page's reconnects."""

import os

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_server_uses_the_database_and_channel_layer_the_environment_names(daphne_server):
    backends = daphne_server.django(
        """
        from django.conf import settings
        from django.db import connection
        result = [connection.vendor, settings.CHANNEL_LAYERS["default"]["BACKEND"]]
        """
    )

    on_postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    assert backends[0] == ("postgresql" if on_postgres else "sqlite")
    assert backends[1].endswith(
        "RedisChannelLayer" if os.environ.get("REDIS_URL") else "InMemoryChannelLayer"
    )


def test_a_restarted_server_keeps_its_users_and_their_sessions(
    page, log_in, live_alice, daphne_server
):
    log_in(page, live_alice)
    expect(page.locator("#socket-state")).to_have_attribute("data-state", "open")

    daphne_server.restart()

    page.reload()
    expect(page.get_by_role("button", name="Log out alice")).to_be_visible()
    expect(page.locator("#socket-state")).to_have_attribute("data-state", "open")


def test_the_page_reconnects_when_a_killed_server_comes_back(alice_page, daphne_server):
    state = alice_page.locator("#socket-state")

    daphne_server.kill()

    assert not daphne_server.is_running
    expect(state).to_have_attribute("data-state", "closed")
    daphne_server.start()
    # The page tries again at most 2 s apart; the wait is generous for a busy machine.
    expect(state).to_have_attribute("data-state", "open", timeout=20_000)
