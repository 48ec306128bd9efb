"""A live demo in two browsers: the presenter runs, the viewer watches the tokens stream."""

import pytest
from playwright.sync_api import expect

from ..fake_upstream import SSE, token_stream

pytestmark = pytest.mark.browser

TOKENS = ["Rain", " on", " the", " tin", " roof", ",", " soft", " and", " slow", "."]


def test_the_viewer_sees_the_presenters_run_stream(
    daphne_server, new_context, live_alice, shared_session, upstream
):
    bob = daphne_server.create_user("bob")
    presenter = new_context(user=live_alice).new_page()
    viewer = new_context(user=bob).new_page()

    presenter.goto(f"/sessions/{shared_session['id']}/present/")
    expect(presenter.locator("body")).to_have_class("presenter")
    expect(presenter.locator("#socket-state")).to_have_attribute("data-state", "open")
    viewer.goto(f"/s/{shared_session['token']}/")
    expect(viewer.get_by_role("heading", name="Weather haiku")).to_be_visible()
    expect(viewer.locator("#watch")).to_have_attribute("data-socket", "open")

    presenter.get_by_role("button", name="Go live").click()
    expect(presenter.locator("#live-viewers")).to_have_text("1 viewer watching")
    expect(viewer.locator("#live-state")).to_have_text("Live now")

    presenter.get_by_label("Prompt", exact=True).fill("A haiku about rain:")
    expect(viewer.locator("#shared-prompt")).to_have_text("A haiku about rain:")

    viewer.evaluate(
        """() => {
          window.seen = [];
          new MutationObserver(() => {
            const pane = document.querySelector("#live-run .run-card.live .choice-text");
            if (pane) window.seen.push(pane.textContent);
          }).observe(document.getElementById("live-run"),
                     {childList: true, subtree: true, characterData: true});
        }"""
    )
    upstream.script(SSE(token_stream(TOKENS, finish_reason="stop"), delay=0.05))
    presenter.keyboard.press("Control+Enter")

    viewer_card = viewer.locator("#live-run .run-card:not(.live)")
    expect(viewer_card.locator(".choice-text")).to_have_text("".join(TOKENS))
    seen = [text for text in viewer.evaluate("window.seen") if text]
    assert len(set(seen)) >= 3, "the viewer should see the text grow token by token"
    assert seen[-1] == "".join(TOKENS)
    expect(viewer_card.get_by_role("button", name="Restore")).to_have_count(0)

    presenter.get_by_role("button", name="End live demo").click()
    expect(viewer.locator("#live-state")).to_have_text("The live demo has ended.")
    viewer.reload()
    expect(viewer.locator("#run-history .run-card")).to_have_count(1)
