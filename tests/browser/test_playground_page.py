"""The playground page as a person uses it, in Chromium against a live daphne server."""

import re

import pytest
from playwright.sync_api import Page, expect

from ..fake_upstream import SSE, completion_chunk, token_stream

pytestmark = pytest.mark.browser

STORY = ["Once", " upon", " a", " time", ",", " a", " model", " wrote", " one", " token"]

# Records what the streaming pane shows at each change (its text, and how many elements it
# holds), so a test can tell the text grew step by step and never turned into markup.
RECORD_STREAMING_PANE = """() => {
  window.streamed = [];
  const liveRun = document.getElementById("live-run");
  new MutationObserver(() => {
    const pane = liveRun.querySelector(".run-card.live .choice-text");
    if (pane) {
      window.streamed.push({ text: pane.textContent, elements: pane.querySelectorAll("*").length });
    }
  }).observe(liveRun, { childList: true, subtree: true, characterData: true });
}"""


def streamed_texts(page: Page) -> list[str]:
    return [state["text"] for state in page.evaluate("window.streamed") if state["text"]]


def usage_chunk(prompt_tokens, completion_tokens):
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    return {**completion_chunk(), "choices": [], "usage": usage}


def submit(page: Page, prompt: str) -> None:
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.get_by_role("button", name="Submit").click()


def finished_card(page: Page):
    return page.locator("#live-run .run-card:not(.live)")


def completion_requests(upstream):
    return [r for r in upstream.requests if r.path.endswith("/completions")]


def test_logging_in_through_the_form_opens_the_playground(page, live_alice, live_alice_provider):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))

    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(live_alice.password)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("button", name="Log out alice")).to_be_visible()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("#socket-state")).to_have_text("Connected")
    expect(page.get_by_label("Provider", exact=True)).to_have_value(str(live_alice_provider))
    expect(page.get_by_label("model", exact=True)).to_have_value("fake-model")


def test_tokens_stream_into_the_page_then_the_run_card_shows_the_result(alice_page, upstream):
    page = alice_page
    events = [*token_stream(STORY, finish_reason="stop"), usage_chunk(4, len(STORY))]
    upstream.script(SSE(events, delay=0.05))
    page.evaluate(RECORD_STREAMING_PANE)

    submit(page, "Tell me a story.")

    live = page.locator("#live-run .run-card.live")
    expect(live.locator(".badge")).to_have_text("Streaming")
    expect(live.locator(".choice-text")).not_to_be_empty()
    expect(page.get_by_role("button", name="Stop")).to_be_enabled()
    expect(page.get_by_role("button", name="Submit")).to_be_disabled()

    card = finished_card(page)
    full_text = "".join(STORY)
    expect(card).to_have_attribute("data-status", "completed")
    expect(card.locator(".badge")).to_have_text("Completed")
    expect(card.locator(".choice-text")).to_have_text(full_text)
    expect(card.locator(".finish")).to_have_text("finish_reason: stop")
    expect(card.locator(".stats")).to_contain_text("prompt 4 · completion 10 · total 14")
    expect(card.locator(".stats")).to_contain_text("First token")
    expect(card.locator(".stats")).to_contain_text("Total")
    expect(page.get_by_role("button", name="Submit")).to_be_enabled()
    expect(page.get_by_role("button", name="Stop")).to_be_disabled()

    # The pane showed the text growing, piece by piece, before the card replaced it.
    seen = streamed_texts(page)
    assert all(full_text.startswith(text) for text in seen)
    assert len(set(seen)) >= 2
    assert min(seen, key=len) != full_text
    assert upstream.last_body["prompt"] == "Tell me a story."
    assert upstream.last_body["stream"] is True


@pytest.mark.parametrize("stop_with", ["button", "escape"])
def test_a_run_can_be_stopped_mid_stream(alice_page, upstream, stop_with):
    page = alice_page
    upstream.script(SSE(token_stream(["word "] * 200), delay=0.05))
    submit(page, "Go on and on.")
    expect(page.locator("#live-run .run-card.live .choice-text")).to_contain_text("word word")

    if stop_with == "button":
        page.get_by_role("button", name="Stop").click()
    else:
        page.keyboard.press("Escape")

    card = finished_card(page)
    expect(card).to_have_attribute("data-status", "stopped")
    expect(card.locator(".badge")).to_have_text("Stopped")
    expect(card).to_contain_text("Stopped before the provider finished.")
    partial = card.locator(".choice-text").text_content()
    assert partial.startswith("word word")
    assert len(partial) < len("word " * 200)
    expect(page.get_by_role("button", name="Submit")).to_be_enabled()
    assert upstream.client_disconnected.wait(5), "the upstream stream was not closed"


def test_an_invalid_parameter_is_shown_next_to_its_field_and_nothing_goes_upstream(
    alice_page, upstream
):
    page = alice_page
    temperature = page.get_by_label("temperature", exact=True)
    temperature.fill("5")
    submit(page, "Hello")

    error = page.locator("#error-temperature")
    expect(error).to_have_text("temperature must be between 0 and 2.")
    expect(page.locator('[data-field="temperature"]')).to_have_class(re.compile(r"\bhas-error\b"))
    expect(temperature).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#live-run")).to_be_empty()
    expect(page.get_by_role("button", name="Submit")).to_be_enabled()
    assert completion_requests(upstream) == []

    # Fixing the field clears its error, and the run goes through.
    temperature.fill("0.5")
    expect(error).to_be_hidden()
    page.get_by_role("button", name="Submit").click()
    expect(finished_card(page)).to_have_attribute("data-status", "completed")
    assert upstream.last_body["temperature"] == 0.5


def test_model_output_that_looks_like_html_is_shown_as_text(alice_page, upstream):
    page = alice_page
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    tokens = ["<img src=x onerror=alert(1)>", " and ", "<b>bold</b>"]
    upstream.script(SSE(token_stream(tokens), delay=0.05))
    page.evaluate(RECORD_STREAMING_PANE)
    submit(page, "Write some HTML.")

    # The finished card is rendered by the server's template.
    card = finished_card(page)
    expect(card.locator(".choice-text")).to_have_text("".join(tokens))
    expect(page.locator("#live-run img, #live-run .choice-text b")).to_have_count(0)
    # While streaming, the pane held the markup as text and never an element.
    streamed = page.evaluate("window.streamed")
    assert any("<img src=x onerror=alert(1)>" in state["text"] for state in streamed)
    assert all(state["elements"] == 0 for state in streamed)
    assert dialogs == []


def logprobs_chunk(token, logprob, alternatives, offset):
    logprobs = {
        "tokens": [token],
        "token_logprobs": [logprob],
        "top_logprobs": [alternatives],
        "text_offset": [offset],
    }
    return completion_chunk(token, logprobs=logprobs)


def test_a_finished_run_with_logprobs_shows_tinted_tokens_with_their_alternatives(
    alice_page, upstream
):
    page = alice_page
    upstream.script(
        SSE(
            [
                logprobs_chunk("Hello", -0.05, {"Hello": -0.05, "Hi": -3.2}, 0),
                logprobs_chunk(",", -1.6, {"!": -0.4, ",": -1.6}, 5),
                logprobs_chunk(" world", -4.0, {" there": -0.1, " world": -4.0}, 6),
                completion_chunk("", finish_reason="stop"),
            ],
            delay=0.05,
        )
    )
    page.locator("details.advanced-parameters > summary").click()
    page.get_by_label("logprobs", exact=True).fill("2")
    submit(page, "Greet.")

    tokens = finished_card(page).locator(".choice-text .tok")
    expect(tokens).to_have_text(["Hello", ",", " world"])
    # Near certain is tinted p9, unlikely p0.
    expect(tokens.nth(0)).to_have_class(re.compile(r"\bp9\b"))
    expect(tokens.nth(1)).to_have_class(re.compile(r"\bp2\b"))
    expect(tokens.nth(2)).to_have_class(re.compile(r"\bp0\b"))

    world = tokens.nth(2)
    tip = world.get_attribute("data-tip")
    assert tip.splitlines()[0] == '" world"  1.83%'
    assert "Top alternatives:" in tip
    assert '" there"  90.48%' in tip
    # The tip is there for keyboard users too.
    world.focus()
    expect(world).to_be_focused()
    assert upstream.last_body["logprobs"] == 2


def shown_tip(token) -> str | None:
    """The tip the page shows on a token (its ::after box's text), or None when it shows none."""
    content = token.evaluate("(el) => getComputedStyle(el, '::after').content")
    if content == "none":
        return None
    # A CSS string: in quotes, with its quotes and line breaks escaped.
    return content[1:-1].replace('\\"', '"').replace("\\a ", "\n")


def test_a_runs_tokens_are_one_tab_stop_walked_with_the_arrow_keys(alice_page, upstream):
    page = alice_page
    words = ["Rain", " on", " the", " roof"]
    upstream.script(
        SSE(
            [
                *[logprobs_chunk(w, -0.2, {w: -0.2}, i) for i, w in enumerate(words)],
                completion_chunk("", finish_reason="stop"),
            ]
        )
    )
    page.locator("details.advanced-parameters > summary").click()
    page.get_by_label("logprobs", exact=True).fill("1")
    submit(page, "Weather.")

    card = finished_card(page)
    group = card.get_by_role("group", name="Tokens of choice 0, with probabilities")
    tokens = group.locator(".tok")
    expect(tokens).to_have_text(words)

    # Once the editor has taken in the run (its node loaded, the document saved).
    expect(page.locator(".document[data-busy]")).to_have_count(0)
    expect(page.locator("#save-state")).to_have_text("Saved")

    # The tokens are one Tab stop, whichever way Tab goes through them: the first token.
    insert = card.get_by_role("button", name="Open in the editor")
    insert.focus()
    page.keyboard.press("Shift+Tab")
    expect(tokens.nth(0)).to_be_focused()
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.closest('.choice-text')") is None
    page.keyboard.press("Tab")
    expect(tokens.nth(0)).to_be_focused()
    page.keyboard.press("Tab")
    expect(insert).to_be_focused()
    page.keyboard.press("Shift+Tab")

    # The arrows move within the group, and the token in focus shows its tip.
    page.keyboard.press("ArrowRight")
    expect(tokens.nth(1)).to_be_focused()
    assert shown_tip(tokens.nth(1)) == tokens.nth(1).get_attribute("data-tip")
    assert shown_tip(tokens.nth(0)) is None
    page.keyboard.press("End")
    expect(tokens.nth(3)).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(tokens.nth(3)).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(tokens.nth(2)).to_be_focused()
    page.keyboard.press("Home")
    expect(tokens.nth(0)).to_be_focused()

    # The group remembers the token last in focus: Tab away and back lands on it again.
    page.keyboard.press("End")
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    expect(tokens.nth(3)).to_be_focused()
    expect(group.locator('[tabindex="0"]')).to_have_count(1)


def test_a_long_run_streams_its_end_into_the_card_then_shows_its_text_with_tokens_on_demand(
    alice_page, upstream
):
    page = alice_page
    tokens = [f" t{i}" for i in range(3000)]
    offsets = [sum(len(t) for t in tokens[:i]) for i in range(len(tokens))]
    upstream.script(
        SSE(
            [
                *[
                    logprobs_chunk(token, -0.1, {token: -0.1, " x": -2.5}, offset)
                    for token, offset in zip(tokens, offsets, strict=True)
                ],
                completion_chunk("", finish_reason="stop"),
            ],
            delay=0.002,
        )
    )
    page.locator("details.advanced-parameters > summary").click()
    page.get_by_label("logprobs", exact=True).fill("2")
    submit(page, "Count.")
    full_text = "".join(tokens)

    # While it streams, the card shows the end of the text; the pane still holds all of it.
    live = page.locator("#live-run .run-card.live .choice-text")
    expect(live).to_contain_text("t2999", timeout=30_000)
    assert live.text_content() == full_text
    assert not live.inner_text().lstrip("… ").startswith(" t0 t1 ")

    # Finished: the text, whole, and a button for its 3,000 tokens' probabilities.
    card = finished_card(page)
    expect(card).to_have_attribute("data-status", "completed", timeout=30_000)
    text = card.locator(".choice-text")
    expect(text).to_have_text(full_text)
    expect(text.locator(".tok")).to_have_count(0)
    show = card.get_by_role("button", name="Show each token's probability (3,000 tokens)")
    show.click()
    expect(show).to_have_count(0)
    expect(text.locator(".tok")).to_have_count(3000)
    expect(text).to_have_text(full_text)
    last = text.locator(".tok").last
    assert last.get_attribute("data-tip").splitlines()[0] == '" t2999"  90.48%'
