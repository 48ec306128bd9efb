"""Fault: daphne is killed mid-stream (SIGKILL, no chance to save), then started again.

The run keeps the text of its last periodic save, which is at most PLAYGROUND_SAVE_INTERVAL
behind what the page had received: that much text may be lost. The restarted server marks
the run interrupted on its own, and the page, once reconnected, shows it so.
"""

import pytest
from playwright.sync_api import expect

from playground.runs.recovery import INTERRUPTED_ERROR
from tests.support.live_client import (
    open_socket,
    receive_until,
    run_message,
    stored_run,
    wait_for_stored_run,
    wait_until,
)

from ..fake_upstream import SSE, token_stream

pytestmark = pytest.mark.browser

# The default, set here as the tests rely on it: a partial save comes soon, and a restart
# (a second or two) is over before three intervals have passed, so the run still looks
# alive when the new server starts, and only its second look finds it abandoned.
SAVE_INTERVAL = 2

TOKENS = [f" t{i}" for i in range(600)]
FULL_TEXT = "".join(TOKENS)


@pytest.fixture
def daphne_server_env():
    return {"PLAYGROUND_SAVE_INTERVAL": str(SAVE_INTERVAL)}


def paced_stream():
    # 30 seconds at this pace: the stream is still going when daphne is killed.
    return SSE(token_stream(TOKENS), delay=0.05)


def saved_some_text(server, run_id):
    run = stored_run(server, run_id)
    return run if run["status"] == "streaming" and run["text"] else None


def test_the_restarted_server_marks_the_run_interrupted_with_its_saved_text(
    daphne_server, live_alice, live_alice_provider, upstream
):
    upstream.script(paced_stream())
    with open_socket(daphne_server, live_alice) as socket:
        socket.send(run_message(live_alice_provider, "Count"))
        run_id = receive_until(socket, "run.started")[-1]["run"]
        saved = wait_until(
            lambda: saved_some_text(daphne_server, run_id), what="a partial save of the run"
        )

        daphne_server.kill()

    # Killed: the stored run is still "streaming", with the text of its last save.
    assert stored_run(daphne_server, run_id)["status"] == "streaming"
    daphne_server.start()

    # Nobody opens a page: the restarted server itself finds the abandoned run.
    run = wait_for_stored_run(
        daphne_server, run_id, lambda run: run["status"] != "streaming", what="the run marked"
    )
    assert run["status"] == "interrupted"
    assert run["error"] == INTERRUPTED_ERROR
    assert run["text"].startswith(saved["text"])
    assert FULL_TEXT.startswith(run["text"])
    assert run["text"] != FULL_TEXT


def test_the_page_shows_the_run_interrupted_after_the_restart_and_runs_again(
    alice_page, daphne_server, upstream
):
    page = alice_page
    upstream.script(paced_stream())
    page.get_by_label("Prompt", exact=True).fill("Count")
    page.get_by_role("button", name="Submit").click()
    live = page.locator("#live-run .run-card.live")
    expect(live.locator(".choice-text")).not_to_be_empty()
    run_id = int(live.get_attribute("data-run"))
    wait_until(lambda: saved_some_text(daphne_server, run_id), what="a partial save")

    daphne_server.kill()

    expect(page.locator("#socket-state")).to_have_attribute("data-state", "closed")
    expect(live.locator(".live-status")).to_contain_text("The connection dropped")
    expect(page.get_by_role("button", name="Stop")).to_be_disabled()

    daphne_server.start()

    # The page reconnects (with backoff), then shows the stored run in place of the pane.
    card = page.locator(f"#live-run #run-{run_id}")
    expect(card).to_have_attribute("data-status", "interrupted", timeout=45_000)
    expect(page.locator("#live-run .run-card.live")).to_have_count(0)
    expect(card.get_by_role("alert")).to_have_text(INTERRUPTED_ERROR)
    stored = stored_run(daphne_server, run_id)
    assert stored["status"] == "interrupted"
    assert stored["text"] and FULL_TEXT.startswith(stored["text"])
    expect(card.locator(".choice-text")).to_have_text(stored["text"])
    expect(page.locator("#socket-state")).to_have_attribute("data-state", "open")

    # The next run goes through the new server.
    page.get_by_label("Prompt", exact=True).fill("Again")
    page.get_by_role("button", name="Submit").click()
    finished = page.locator("#live-run .run-card:not(.live)")
    expect(finished).to_have_attribute("data-status", "completed")
    expect(finished.locator(".choice-text")).to_have_text("Hello, world")
    # The interrupted run moved into the history.
    expect(page.locator(f"#run-history #run-{run_id}")).to_have_attribute(
        "data-status", "interrupted"
    )
