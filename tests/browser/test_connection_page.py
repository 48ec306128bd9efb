"""The playground page's connection, in Chromium against a live daphne server: what the
page says while the server is down or hung, that nothing runs behind the user's back, and
that it is back soon after the server is."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

# Generous on purpose (the machine may be busy): the page itself retries every 2 s at most.
RECONNECT_TIMEOUT_MS = 15_000
# The page pings after 5 s without a frame and gives the server 10 s to answer.
HANG_NOTICED_TIMEOUT_MS = 40_000


def socket_state(page: Page):
    return page.locator("#socket-state")


def prompt(page: Page):
    return page.get_by_label("Prompt", exact=True)


def run_to_the_end(page: Page, text: str) -> None:
    prompt(page).fill(text)
    page.get_by_role("button", name="Submit").click()
    card = page.locator("#live-run .run-card:not(.live)")
    expect(card).to_have_attribute("data-status", "completed")


def stored_prompts(server, user) -> list[str]:
    return [row["request_body"]["prompt"] for row in server.run_rows(user)]


def test_a_submit_while_disconnected_says_so_and_nothing_runs_later(
    alice_page, daphne_server, live_alice, upstream
):
    page = alice_page
    daphne_server.stop()
    expect(socket_state(page)).to_have_attribute("data-state", "closed")

    prompt(page).fill("Sent while the server was down")
    page.get_by_role("button", name="Submit").click()

    error = page.locator("#socket-error")
    expect(error).to_contain_text("Not connected")
    daphne_server.start()
    expect(socket_state(page)).to_have_text("Connected", timeout=RECONNECT_TIMEOUT_MS)
    # Back: the message no longer holds, and the Submit made while down was not kept for later.
    expect(error).to_be_hidden()
    run_to_the_end(page, "Sent once connected")
    assert stored_prompts(daphne_server, live_alice) == ["Sent once connected"]
    assert [request.body["prompt"] for request in upstream.completion_requests] == [
        "Sent once connected"
    ]


def test_the_page_reconnects_soon_after_a_long_outage_and_saves_what_was_edited(
    alice_page, daphne_server
):
    page = alice_page
    daphne_server.stop()
    expect(socket_state(page)).to_have_attribute("data-state", "closed")
    prompt(page).fill("Edited during a long outage")
    expect(page.locator("#save-state")).to_have_text("Not saved: the server cannot be reached.")
    # Long enough for a backoff that doubles at each try to reach half a minute.
    page.wait_for_timeout(20_000)

    daphne_server.start()

    expect(socket_state(page)).to_have_text("Connected", timeout=RECONNECT_TIMEOUT_MS)
    expect(page.locator("#save-state")).to_have_text("Saved", timeout=RECONNECT_TIMEOUT_MS)
    page.reload()
    expect(prompt(page)).to_have_value("Edited during a long outage")


def test_a_hung_server_shows_not_connected_and_the_page_recovers_when_it_resumes(
    alice_page, daphne_server, live_alice, upstream
):
    page = alice_page
    daphne_server.pause()
    try:
        # Its socket looks open, but the server answers nothing: the page finds out.
        expect(socket_state(page)).to_have_text(
            re.compile(r"^Not connected"), timeout=HANG_NOTICED_TIMEOUT_MS
        )
        expect(socket_state(page)).to_have_attribute("data-state", "closed")
        prompt(page).fill("Written while the server hung")
        page.get_by_role("button", name="Submit").click()
        expect(page.locator("#socket-error")).to_contain_text("Not connected")
        expect(page.locator("#save-state")).not_to_have_text("Saved")
    finally:
        daphne_server.resume()

    expect(socket_state(page)).to_have_text("Connected", timeout=RECONNECT_TIMEOUT_MS)
    expect(page.locator("#save-state")).to_have_text("Saved", timeout=RECONNECT_TIMEOUT_MS)
    page.reload()
    expect(prompt(page)).to_have_value("Written while the server hung")
    expect(socket_state(page)).to_have_text("Connected")
    run_to_the_end(page, "After the hang")
    assert stored_prompts(daphne_server, live_alice) == ["After the hang"]
