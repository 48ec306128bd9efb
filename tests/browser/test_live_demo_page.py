"""A live demo in two browsers: the presenter runs, the viewer watches the tokens stream."""

import pytest
from playwright.sync_api import expect

from ..fake_upstream import SSE, completion_chunk, token_stream

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


def watch_live(daphne_server, new_context, live_alice, shared_session, parameters=None):
    """alice presents the session live, bob watches it: (presenter, viewer) pages."""
    if parameters:
        daphne_server.django(
            """
            from playground.sessions.models import PlaygroundSession
            PlaygroundSession.objects.filter(pk=params["id"]).update(parameters=params["p"])
            """,
            id=shared_session["id"],
            p=parameters,
        )
    bob = daphne_server.create_user("bob")
    presenter = new_context(user=live_alice).new_page()
    viewer = new_context(user=bob).new_page()
    presenter.goto(f"/sessions/{shared_session['id']}/present/")
    expect(presenter.locator("#socket-state")).to_have_attribute("data-state", "open")
    viewer.goto(f"/s/{shared_session['token']}/")
    expect(viewer.locator("#watch")).to_have_attribute("data-socket", "open")
    presenter.get_by_role("button", name="Go live").click()
    expect(viewer.locator("#live-state")).to_have_text("Live now")
    return presenter, viewer


def test_the_viewer_sees_each_choice_stream_under_its_heading(
    daphne_server, new_context, live_alice, shared_session, upstream
):
    presenter, viewer = watch_live(
        daphne_server, new_context, live_alice, shared_session, parameters={"n": "2"}
    )
    first, second = token_stream(["Rain"], index=0), token_stream(["Snow"], index=1)
    upstream.script(SSE([first[0], second[0], first[1], second[1]], delay=0.3))

    presenter.keyboard.press("Control+Enter")

    streaming = viewer.locator("#live-run .run-card.live")
    expect(streaming.locator("h3")).to_have_text(["Choice 0", "Choice 1"])
    expect(streaming.locator(".choice-text")).to_have_text(["Rain", "Snow"])
    card = viewer.locator("#live-run .run-card:not(.live)")
    expect(card.locator(".choice-text")).to_have_text(["Rain", "Snow"])


def test_the_viewer_sees_the_parameters_the_presenter_sets(
    daphne_server, new_context, live_alice, shared_session
):
    _, viewer = watch_live(daphne_server, new_context, live_alice, shared_session)
    parameters = viewer.locator("#shared-parameters")
    expect(parameters.locator("dt")).to_have_text(["provider", "model"])

    # Presenter mode hides the parameters: alice sets one on the session's page, in a tab of
    # its own, while the demo goes on.
    editor = new_context(user=live_alice).new_page()
    editor.goto(f"/sessions/{shared_session['id']}/")
    editor.get_by_label("presence_penalty", exact=True).fill("1.5")
    expect(editor.locator("#save-state")).to_have_text("Saved")

    expect(parameters.locator("dt")).to_contain_text(["presence_penalty"])
    expect(parameters.locator("dt:text-is('presence_penalty') + dd")).to_have_text("1.5")


def test_the_viewer_gets_a_card_too_large_for_the_socket_in_full(
    daphne_server, new_context, live_alice, shared_session, upstream
):
    # 900 kB of text, under the output cap: with its raw stream, its card passes daphne's
    # 1 MiB message limit, so the page fetches it.
    tokens = [f"{i:06d}" + "x" * 94 for i in range(9_000)]
    presenter, viewer = watch_live(daphne_server, new_context, live_alice, shared_session)
    upstream.script(SSE(token_stream(tokens), delay=0))

    presenter.keyboard.press("Control+Enter")

    card = viewer.locator("#live-run .run-card:not(.live)")
    expect(card).to_have_attribute("data-status", "completed", timeout=30_000)
    expect(viewer.locator("#live-run .run-card.live")).to_have_count(0)
    assert card.locator(".choice-text").text_content() == "".join(tokens)
    expect(card.get_by_role("button", name="Restore")).to_have_count(0)


def test_the_viewer_walks_the_finished_runs_tokens_with_the_arrow_keys(
    daphne_server, new_context, live_alice, shared_session, upstream
):
    presenter, viewer = watch_live(
        daphne_server, new_context, live_alice, shared_session, parameters={"logprobs": "1"}
    )
    chunks = [
        completion_chunk(
            word,
            logprobs={
                "tokens": [word],
                "token_logprobs": [-0.3],
                "top_logprobs": [{word: -0.3}],
                "text_offset": [offset],
            },
        )
        for offset, word in enumerate(TOKENS[:4])
    ]
    upstream.script(SSE([*chunks, completion_chunk("", finish_reason="stop")]))

    presenter.keyboard.press("Control+Enter")

    # The card came over the socket once the run finished: its tokens are one group still.
    card = viewer.locator("#live-run .run-card:not(.live)")
    tokens = card.get_by_role("group", name="Tokens of choice 0, with probabilities").locator(
        ".tok"
    )
    expect(tokens).to_have_text(TOKENS[:4])
    expect(card.locator('.tok[tabindex="0"]')).to_have_count(1)
    tokens.first.focus()
    viewer.keyboard.press("ArrowRight")
    expect(tokens.nth(1)).to_be_focused()
    tip = tokens.nth(1).evaluate("(el) => getComputedStyle(el, '::after').content")
    assert "Top alternatives:" in tip
    viewer.keyboard.press("End")
    expect(tokens.nth(3)).to_be_focused()


def test_the_viewer_sees_a_presented_comparison_stream_side_by_side(
    daphne_server, new_context, live_alice, shared_session, upstream
):
    presenter, viewer = watch_live(daphne_server, new_context, live_alice, shared_session)
    words = {0.2: [" soft", " rain"], 1.2: [" soft", " hail", "!"]}
    upstream.respond_with(
        lambda body: SSE(token_stream(words[body["temperature"]], finish_reason="stop"), delay=0.05)
    )

    presenter.get_by_text("One prompt, 2 to 6 columns").click()
    columns = presenter.locator(".compare-column")
    columns.nth(0).get_by_label("temperature").fill("0.2")
    columns.nth(1).get_by_label("temperature").fill("1.2")
    presenter.get_by_role("button", name="Compare", exact=True).click()

    shown = viewer.locator("#shared-comparison .compare-result")
    expect(shown).to_have_count(2)
    expect(shown.nth(0).locator(".result-text")).to_have_text(" soft rain")
    expect(shown.nth(1).locator(".result-text")).to_have_text(" soft hail!")
    expect(shown.nth(1).locator(".result-divergence")).to_have_text(
        "Departs from column 1 at character 7."
    )
    expect(shown.nth(1).locator(".result-figures")).to_contain_text("completed")
    # The viewer's columns have no buttons of the presenter's.
    expect(viewer.locator("#shared-comparison button")).to_have_count(0)
    # Each column's run joins the run records, on both pages, the last column on top.
    for page in (presenter, viewer):
        cards = page.locator("#run-history .run-card")
        expect(cards).to_have_count(2)
        expect(cards.first.locator(".choice-text")).to_have_text(" soft hail!")
        expect(page.locator("#no-runs")).to_have_count(0)
    viewer.reload()
    expect(viewer.locator("#shared-comparison .compare-result")).to_have_count(2)
