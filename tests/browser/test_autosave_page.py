"""Autosave as a person meets it, in Chromium against a live daphne server: whatever the
order and pace of the edits, on a slow network or through an outage, "Saved" means that a
reload shows the form exactly as it was left."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

# A server this far away made every edit after the first in a quick series get lost.
LATENCY_MS = 150
# Failed saves are retried with a backoff of at most 10 s; a reconnect retries at once.
SAVED_TIMEOUT_MS = 20_000

FORM_STATE = '() => [...new FormData(document.getElementById("completion-form"))]'


def form_state(page: Page) -> list[list[str]]:
    """Every field of the completion form, as the page would post it, in order."""
    return page.evaluate(FORM_STATE)


def add_latency(page: Page, latency_ms: int = LATENCY_MS) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": latency_ms, "downloadThroughput": -1, "uploadThroughput": -1},
    )


def save_state(page: Page):
    return page.locator("#save-state")


def reload(page: Page) -> None:
    page.reload()
    expect(page.locator("#socket-state")).to_have_attribute("data-state", "open")


def field(page: Page, label: str):
    return page.get_by_label(label, exact=True)


@pytest.fixture
def second_provider(daphne_server, live_alice, upstream) -> int:
    return daphne_server.create_provider(
        live_alice, upstream.base_url, name="Second upstream", default_model="second-model"
    )


def test_quick_mixed_edits_on_a_slow_network_are_all_stored(second_provider, alice_page):
    page = alice_page
    add_latency(page)
    prompt = field(page, "Prompt")
    temperature = field(page, "temperature")

    # Edits a person makes in a few seconds, each while the save of the one before is on
    # its way: typing, ticks, a number stepped up then cleared, a provider picked.
    prompt.press_sequentially("Once upon a time", delay=20)
    field(page, "echo").check()
    field(page, "max_tokens").fill("64")
    temperature.press("ArrowUp")
    temperature.press("ArrowUp")
    temperature.press("Control+a")
    temperature.press("Delete")
    field(page, "stream").uncheck()
    field(page, "Provider").select_option(str(second_provider))
    prompt.press("End")
    prompt.press_sequentially(", there was", delay=20)
    field(page, "top_p").fill("0.9")
    page.get_by_text("Advanced", exact=True).click()  # where include_usage is
    field(page, "stream_options.include_usage").check()
    left = form_state(page)

    expect(save_state(page)).to_have_text("Saved", timeout=SAVED_TIMEOUT_MS)
    reload(page)

    assert form_state(page) == left
    expect(prompt).to_have_value("Once upon a time, there was")
    expect(field(page, "echo")).to_be_checked()
    expect(field(page, "stream")).not_to_be_checked()
    expect(field(page, "stream_options.include_usage")).to_be_checked()
    expect(field(page, "max_tokens")).to_have_value("64")
    expect(temperature).to_have_value("")
    expect(field(page, "top_p")).to_have_value("0.9")
    expect(field(page, "Provider")).to_have_value(str(second_provider))
    expect(field(page, "model")).to_have_value("second-model")


def test_an_edit_right_after_a_change_on_a_slow_network_is_stored(alice_page):
    page = alice_page
    add_latency(page)

    # A tick sends the form at once; the typing that follows goes while that is on its way.
    field(page, "echo").check()
    field(page, "Prompt").press_sequentially("Typed right after", delay=20)
    field(page, "max_tokens").fill("8")
    left = form_state(page)

    expect(save_state(page)).to_have_text("Saved", timeout=SAVED_TIMEOUT_MS)
    reload(page)

    assert form_state(page) == left


def test_a_box_ticked_a_while_after_saved_is_stored(alice_page):
    page = alice_page
    field(page, "Prompt").fill("Roses are red")
    expect(save_state(page)).to_have_text("Saved")
    page.wait_for_timeout(2500)  # the user reads it over, then ticks a box

    field(page, "echo").check()

    expect(save_state(page)).to_have_text("Saved")
    reload(page)
    expect(field(page, "Prompt")).to_have_value("Roses are red")
    expect(field(page, "echo")).to_be_checked()


@pytest.mark.parametrize("failure", ["no answer", "error 500"])
def test_a_save_that_failed_is_retried_until_it_is_stored(alice_page, failure):
    page = alice_page

    def fail(route):
        if failure == "no answer":
            route.abort("connectionrefused")
        else:
            route.fulfill(status=500, body="Server Error")

    page.route("**/autosave/", fail)
    field(page, "Prompt").fill("Kept through the failure")
    expected = (
        "Not saved: the server cannot be reached."
        if failure == "no answer"
        else "Not saved: the server answered 500."
    )
    expect(save_state(page)).to_have_text(expected)
    field(page, "echo").check()  # another edit while saves fail
    expect(save_state(page)).to_have_text(expected)
    left = form_state(page)

    page.unroute("**/autosave/")

    expect(save_state(page)).to_have_text("Saved", timeout=SAVED_TIMEOUT_MS)
    reload(page)
    assert form_state(page) == left


def test_an_edit_made_while_the_server_is_down_is_saved_once_it_is_back(alice_page, daphne_server):
    page = alice_page
    daphne_server.stop()
    expect(page.locator("#socket-state")).to_have_attribute("data-state", "closed")

    field(page, "Prompt").fill("Written during the outage")
    field(page, "echo").check()
    expect(save_state(page)).to_have_text("Not saved: the server cannot be reached.")
    left = form_state(page)
    daphne_server.start()

    expect(page.locator("#socket-state")).to_have_attribute("data-state", "open")
    expect(save_state(page)).to_have_text("Saved", timeout=SAVED_TIMEOUT_MS)
    reload(page)
    assert form_state(page) == left
    expect(field(page, "Prompt")).to_have_value("Written during the outage")


def test_coming_back_to_the_playground_opens_the_session_left(alice_page):
    page = alice_page
    session_url = page.url
    field(page, "Prompt").fill("Where I left off")
    expect(save_state(page)).to_have_text("Saved")
    page.close()

    # The tab was closed; later, the playground is opened again in a new one.
    again = alice_page.context.new_page()
    again.goto("/")

    assert again.url == session_url
    expect(field(again, "Prompt")).to_have_value("Where I left off")
    # Starting afresh is one click away.
    again.get_by_role("button", name="New session").click()
    expect(field(again, "Prompt")).to_have_value("")
    assert again.url != session_url
