"""A playground page whose login ends elsewhere says so, and runs nothing more."""

import pytest
from playwright.sync_api import expect

from playground.execution.consumers import LOGIN_ENDED

pytestmark = pytest.mark.browser


def test_logging_out_in_another_tab_ends_the_playground_page(alice_page):
    other_tab = alice_page.context.new_page()
    other_tab.goto("/sessions/")
    other_tab.get_by_role("button", name="Log out alice").click()
    expect(other_tab.get_by_role("button", name="Log out alice")).to_have_count(0)

    expect(alice_page.locator("#socket-error")).to_have_text(LOGIN_ENDED)
    expect(alice_page.locator("#socket-state")).to_have_text("Disconnected: reload the page.")
