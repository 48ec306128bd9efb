"""The completion editor as a person uses it: one document, a tree of runs, token odds.

Against the fake upstream (a real HTTP server speaking SSE) and a live daphne server.
"""

import math
import re

import pytest
from playwright.sync_api import Page, expect

from ..fake_upstream import SSE, Reply, completion_chunk, completion_response, token_stream

pytestmark = pytest.mark.browser


def document(page: Page):
    return page.get_by_label("Prompt", exact=True)


def backdrop_pieces(page: Page) -> list[dict]:
    """The backdrop's spans: their text and classes, without the closing marker."""
    return page.evaluate(
        """() => [...document.querySelectorAll('#document-backdrop span:not(.document-end)')]
            .map((span) => ({text: span.textContent, classes: span.className}))"""
    )


def generated_text(page: Page) -> str:
    return "".join(p["text"] for p in backdrop_pieces(page) if "look-generated" in p["classes"])


def wait_until_idle(page: Page) -> None:
    """Until the run has ended and the document shows its node, as stored."""
    expect(page.locator("#stop-button")).to_be_disabled()
    expect(page.locator("#run-button")).to_be_enabled()
    expect(page.locator(".document[data-busy]")).to_have_count(0)


def put_caret(page: Page, offset: int) -> None:
    page.evaluate(
        """(offset) => {
            const textarea = document.getElementById('id_prompt');
            textarea.focus();
            textarea.setSelectionRange(offset, offset);
        }""",
        offset,
    )


def tree_items(page: Page):
    return page.locator('#tree [role="treeitem"]')


def selected_node(page: Page) -> str:
    return page.locator("#id_node").input_value()


def logprobs_chunk(token, logprob, alternatives):
    logprobs = {"tokens": [token], "token_logprobs": [logprob], "top_logprobs": [alternatives]}
    return completion_chunk(token, logprobs=logprobs)


def cats_sleep() -> SSE:
    """A streamed completion of " cats sleep", each token with one alternative."""
    return SSE(
        [
            logprobs_chunk(" cats", -0.5, {" cats": -0.5, " dogs": -1.2}),
            logprobs_chunk(" sleep", -0.3, {" sleep": -0.3, " purr": -1.5}),
            completion_chunk("", finish_reason="stop"),
        ]
    )


def one_token(alternatives: dict, delay: float = 0.0) -> Reply:
    """A whole (not streamed) answer of one token: the likeliest of alternatives, with them
    all as its top logprobs, as the next-token explorer asks for."""
    best = max(alternatives, key=alternatives.get)
    logprobs = {
        "tokens": [best],
        "token_logprobs": [alternatives[best]],
        "top_logprobs": [alternatives],
        "text_offset": [0],
    }
    reply = completion_response([best], finish_reason="length", logprobs=logprobs)
    return Reply(reply, delay=delay)


def test_completions_are_written_into_the_document_and_continue_from_it(alice_page, upstream):
    page = alice_page
    upstream.script(
        SSE(token_stream([" Paris", "."], finish_reason="stop")),
        SSE(token_stream([" It", " is", " old", "."], finish_reason="stop")),
    )
    document(page).fill("The capital of France is")
    page.keyboard.press("Control+Enter")
    expect(document(page)).to_have_value("The capital of France is Paris.")
    wait_until_idle(page)
    assert generated_text(page) == " Paris."
    # The typed text keeps its own look.
    assert backdrop_pieces(page)[0] == {
        "text": "The capital of France is",
        "classes": "look-typed",
    }

    # Continue from the end with the same shortcut: the whole document is the prompt.
    page.keyboard.press("Control+Enter")
    expect(document(page)).to_have_value("The capital of France is Paris. It is old.")
    wait_until_idle(page)
    prompts = [request.body["prompt"] for request in upstream.completion_requests]
    assert prompts == ["The capital of France is", "The capital of France is Paris."]
    assert "suffix" not in upstream.completion_requests[1].body
    assert generated_text(page) == " Paris. It is old."

    # The tree: the continuation is the child of the first completion, and on show.
    expect(tree_items(page)).to_have_count(2)
    child = page.locator('#tree [role="treeitem"] [role="treeitem"]')
    expect(child).to_have_attribute("aria-selected", "true")
    expect(child.locator(".node-label")).to_have_text("It is old.")

    # A reload shows the same document, with the same looks, saved.
    expect(page.locator("#save-state")).to_have_text("Saved")
    page.reload()
    expect(document(page)).to_have_value("The capital of France is Paris. It is old.")
    assert generated_text(page) == " Paris. It is old."


def test_regenerate_makes_a_sibling_and_undo_redo_walk_whole_completions(alice_page, upstream):
    page = alice_page
    upstream.script(
        SSE(token_stream([" blue", "."], finish_reason="stop")),
        SSE(token_stream([" grey", "!"], finish_reason="stop")),
        SSE(token_stream([" green", "?"], finish_reason="stop")),
    )
    document(page).fill("The sky is")
    page.get_by_role("button", name="Submit").click()
    expect(document(page)).to_have_value("The sky is blue.")
    wait_until_idle(page)

    page.get_by_role("button", name="Regenerate").click()
    expect(document(page)).to_have_value("The sky is grey!")
    wait_until_idle(page)
    assert [r.body["prompt"] for r in upstream.completion_requests] == ["The sky is"] * 2
    # Both completions are roots of the tree, side by side: nothing was lost.
    roots = page.locator('#tree > [role="tree"] > [role="treeitem"]')
    expect(roots).to_have_count(2)
    expect(roots.locator(".node-label")).to_have_text(["blue.", "grey!"])

    # Undo takes the whole completion away, redo brings it back.
    document(page).focus()
    page.keyboard.press("Alt+z")
    expect(document(page)).to_have_value("The sky is")
    expect(page.locator("#tree-status")).to_contain_text("Undid the completion")
    page.keyboard.press("Alt+Shift+Z")
    expect(document(page)).to_have_value("The sky is grey!")

    # The first completion is one click away in the tree.
    roots.nth(0).locator(".node-label").click()
    expect(document(page)).to_have_value("The sky is blue.")

    # After a reload, Regenerate still knows the completion on show, even when asked before
    # the page has had its node (held back here until the key is pressed).
    expect(page.locator("#save-state")).to_have_text("Saved")
    held = []

    def hold(route):
        held.append(route)

    page.route("**/runs/*/document/**", hold)
    page.reload()
    expect(page.locator("#socket-state")).to_have_attribute("data-state", "open")
    expect(document(page)).to_have_value("The sky is blue.")
    assert held, "the page asks for its node's document as it starts"
    page.keyboard.press("Alt+r")
    for route in held:
        route.continue_()
    page.unroute("**/runs/*/document/**")
    expect(document(page)).to_have_value("The sky is green?")
    wait_until_idle(page)
    expect(roots).to_have_count(3)


def test_a_stopped_completion_keeps_what_arrived(alice_page, upstream):
    page = alice_page
    upstream.script(SSE(token_stream(["One", " two", " three"] * 20), delay=0.3))
    document(page).fill("Count:")
    page.get_by_role("button", name="Submit").click()
    expect(document(page)).to_have_value(re.compile(r"^Count:One two"))
    page.keyboard.press("Escape")
    wait_until_idle(page)
    kept = document(page).input_value()
    assert kept.startswith("Count:One two")
    expect(tree_items(page).locator(".node-meta")).to_contain_text("stopped")
    assert generated_text(page) == kept.removeprefix("Count:")


def test_with_the_cursor_inside_the_text_the_rest_goes_as_suffix(alice_page, upstream):
    page = alice_page
    upstream.script(SSE(token_stream([" and", " then"], finish_reason="stop")))
    document(page).fill("Start. End.")
    put_caret(page, len("Start."))
    expect(page.locator("#insert-note")).to_contain_text("sent as suffix")
    page.keyboard.press("Control+Enter")
    expect(document(page)).to_have_value("Start. and then End.")
    wait_until_idle(page)
    body = upstream.completion_requests[0].body
    assert (body["prompt"], body["suffix"]) == ("Start.", " End.")
    assert generated_text(page) == " and then"
    # At the end of the text, insert mode is off again.
    put_caret(page, len("Start. and then End."))
    expect(page.locator("#insert-note")).to_be_hidden()


def test_probabilities_tint_tokens_as_they_stream_with_a_legend_in_two_modes(alice_page, upstream):
    page = alice_page
    upstream.script(
        SSE(
            [
                logprobs_chunk(" sure", -0.01, {" sure": -0.01, " maybe": -4.7}),
                logprobs_chunk(" thing", -2.3, {" bet": -0.2, " thing": -2.3}),
                *[logprobs_chunk(" ok", -0.7, {" ok": -0.7}) for _ in range(30)],
                completion_chunk("", finish_reason="stop"),
            ],
            delay=0.15,
        )
    )
    legend = page.locator("#tint-legend")
    expect(legend).to_be_hidden()
    page.get_by_label("Show probabilities").check()
    expect(legend).to_be_visible()
    expect(legend).to_contain_text("unlikely")
    document(page).fill("Are you")
    page.get_by_role("button", name="Submit").click()

    # Tinted while the run still streams, not only at its end.
    tinted = page.locator("#document-backdrop .tok")
    expect(tinted.first).to_have_class(re.compile(r"\bp9\b"))
    expect(page.locator("#stop-button")).to_be_enabled()
    expect(tinted.nth(1)).to_have_class(re.compile(r"\bp1\b"))
    # The switch asked for as many alternatives as an unmeasured provider surely allows.
    assert upstream.completion_requests[0].body["logprobs"] == 5

    page.get_by_role("radio", name=re.compile("surprisal")).check()
    expect(legend).to_contain_text("bits")
    # -log2(e^-2.3) = 3.3 bits.
    expect(tinted.nth(1)).to_have_class(re.compile(r"\bs3\b"))
    wait_until_idle(page)


def test_choosing_an_alternative_branches_and_the_tree_walks_by_keyboard(alice_page, upstream):
    page = alice_page
    upstream.script(
        cats_sleep(),
        SSE(token_stream([" bark"], finish_reason="stop")),
    )
    page.get_by_label("Show probabilities").check()
    document(page).fill("I like")
    page.keyboard.press("Control+Enter")
    expect(document(page)).to_have_value("I like cats sleep")
    wait_until_idle(page)
    first = selected_node(page)

    # The cursor in " cats" shows its alternatives.
    put_caret(page, len("I like ca"))
    panel = page.locator("#token-panel")
    expect(panel.locator("h3")).to_have_text("“ cats” 61%")
    dogs = panel.get_by_role("button", name=re.compile("dogs"))
    expect(dogs).to_contain_text("30%")
    # By keyboard: Alt+A goes to the alternatives (the token generated is not one to choose).
    page.keyboard.press("Alt+a")
    expect(dogs).to_be_focused()
    page.keyboard.press("Enter")

    # Cut before the token, the alternative put in, and generation goes on from there.
    expect(document(page)).to_have_value("I like dogs bark")
    wait_until_idle(page)
    body = upstream.completion_requests[1].body
    assert body["prompt"] == "I like dogs"
    assert body["logprobs"] == 5
    # The new node is a child of the first, at its token 0, with the forced token.
    child = page.locator('#tree [role="treeitem"] [role="treeitem"]')
    expect(child.locator(".node-forced")).to_have_text("“ dogs” ")
    expect(child).to_have_attribute("aria-selected", "true")

    # Alt+T goes to the tree; ← the parent (the old continuation, kept), → back to the child.
    page.keyboard.press("Alt+t")
    expect(child).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(document(page)).to_have_value("I like cats sleep")
    assert selected_node(page) == first
    page.keyboard.press("ArrowRight")
    expect(document(page)).to_have_value("I like dogs bark")

    # Delete prunes the branch; undo brings it back.
    page.keyboard.press("Delete")
    expect(tree_items(page)).to_have_count(1)
    page.get_by_role("button", name="Undo prune").click()
    expect(tree_items(page)).to_have_count(2)

    # Pruned again, it is listed after a reload, and comes back from the list.
    page.keyboard.press("Alt+t")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Delete")
    expect(tree_items(page)).to_have_count(1)
    page.reload()
    pruned = page.locator("#pruned-branches")
    expect(pruned.locator("summary")).to_have_text("Pruned branches (1)")
    pruned.locator("summary").click()
    expect(pruned.locator("li")).to_contain_text("dogs bark")
    pruned.get_by_role("button", name="Bring back: dogs bark").click()
    expect(tree_items(page)).to_have_count(2)
    expect(pruned).to_be_hidden()


def test_undo_and_redo_by_button_show_the_token_at_the_caret(alice_page, upstream):
    page = alice_page
    upstream.script(cats_sleep())
    page.get_by_label("Show probabilities").check()
    document(page).fill("I like")
    page.keyboard.press("Control+Enter")
    expect(document(page)).to_have_value("I like cats sleep")
    wait_until_idle(page)
    put_caret(page, len("I like cats sl"))
    heading = page.locator("#token-panel h3")
    expect(heading).to_have_text("“ sleep” 74%")

    # The buttons take the focus from the document: the panel follows the caret all the same.
    page.get_by_role("button", name="Undo").click()
    expect(document(page)).to_have_value("I like")
    expect(heading).to_have_text("Token alternatives")
    expect(page.locator("#token-panel .token-note")).to_contain_text("generated text")
    page.get_by_role("button", name="Redo").click()
    expect(document(page)).to_have_value("I like cats sleep")
    expect(heading).to_have_text("“ sleep” 74%")


def test_the_next_token_explorer_shows_the_distribution_and_steps_on(alice_page, upstream):
    page = alice_page

    upstream.script(
        one_token({" Paris": -0.1, " Lyon": -2.5, " a": -3.0}),
        one_token({".": -0.3, ",": -1.4}),
    )
    document(page).fill("The capital of France is")
    page.keyboard.press("Alt+n")
    panel = page.locator("#token-panel")
    expect(panel.locator("h3")).to_have_text("Next token at the cursor")
    options = panel.locator(".alternative")
    expect(options.locator(".alt-text")).to_have_text([" Paris", " Lyon", " a"])
    expect(options.nth(0).locator(".alt-p")).to_have_text("90%")
    body = upstream.completion_requests[0].body
    assert (body["prompt"], body["max_tokens"], body["logprobs"]) == (
        "The capital of France is",
        1,
        5,
    )
    assert "stream" not in body or body["stream"] is False

    # Choosing one puts it in at the cursor and looks at the next.
    options.nth(1).click()
    expect(document(page)).to_have_value("The capital of France is Lyon")
    expect(options.locator(".alt-text")).to_have_text([".", ","])
    assert upstream.completion_requests[1].body["prompt"] == "The capital of France is Lyon"
    assert generated_text(page) == " Lyon"
    # No run was made: the tree is still empty.
    expect(tree_items(page)).to_have_count(0)
    # Esc leaves the explorer: the panel shows the token at the cursor again, the one put in.
    page.keyboard.press("Escape")
    expect(panel.locator("h3")).to_have_text("“ Lyon” 8.2%")


def test_the_explorer_ends_when_the_document_changes_otherwise(alice_page, upstream):
    page = alice_page

    upstream.script(
        one_token({" red": -0.5, " blue": -1.5}),
        SSE(token_stream([" red", " and", " blue"], finish_reason="stop")),
        # Answered only once the document has changed under it.
        one_token({" green": -0.1}, delay=1.0),
    )
    panel = page.locator("#token-panel")
    heading = panel.locator("h3")
    document(page).fill("Colours:")
    page.keyboard.press("Alt+n")
    expect(heading).to_have_text("Next token at the cursor")

    # A run writes into the document: the list, for "Colours:", goes.
    page.keyboard.press("Control+Enter")
    expect(document(page)).to_have_value("Colours: red and blue")
    wait_until_idle(page)
    expect(heading).to_have_text("Token alternatives")
    expect(panel.locator(".alternative")).to_have_count(0)

    # An answer that comes after the text before the cursor has changed is not shown (the
    # page again, to hear its socket's frames).
    with page.expect_websocket() as opened:
        page.reload()
    socket = opened.value
    expect(page.locator("#socket-state")).to_have_attribute("data-state", "open")
    put_caret(page, len("Colours:"))
    with socket.expect_event("framereceived", lambda frame: "explore.result" in frame):
        page.keyboard.press("Alt+n")
        put_caret(page, 0)
        page.keyboard.type("My ")
        expect(document(page)).to_have_value("My Colours: red and blue")
    expect(heading).to_have_text("Token alternatives")
    expect(panel.locator(".alternative")).to_have_count(0)


def test_scoring_the_prompt_tints_its_tokens_by_surprisal_and_gives_its_perplexity(
    alice_page, upstream
):
    page = alice_page
    prompt = "Q: 2+2? A: 4"
    tokens = ["Q", ":", " 2", "+", "2", "?", " A", ":", " 4"]
    logprobs = [None, -0.5, -2.0, -1.0, -0.1, -0.2, -0.3, -0.05, -6.0]
    offsets = [sum(len(t) for t in tokens[:i]) for i in range(len(tokens))]
    upstream.script(
        Reply(
            completion_response(
                [prompt],
                finish_reason="length",
                logprobs={
                    "tokens": tokens,
                    "token_logprobs": logprobs,
                    "top_logprobs": [None] * len(tokens),
                    "text_offset": offsets,
                },
            )
        )
    )
    document(page).fill(prompt)
    page.get_by_role("button", name="Score prompt").click()
    summary = page.locator("#score-summary")
    expect(summary).to_contain_text("Perplexity")
    known = [lp for lp in logprobs if lp is not None]
    perplexity = math.exp(-sum(known) / len(known))
    expect(summary).to_contain_text(f"{perplexity:.2f} over 8 scored tokens")
    body = upstream.completion_requests[0].body
    assert (body["echo"], body["max_tokens"], body["logprobs"]) == (True, 0, 1)
    # " 4" at -6.0 nats is 8.7 bits: the most surprising, tinted s8.
    four = page.locator("#document-backdrop span", has_text=re.compile(r"^ 4$"))
    expect(four).to_have_class(re.compile(r"\bs8\b"))
    expect(page.get_by_label("Show probabilities")).to_be_checked()
    expect(page.get_by_role("radio", name=re.compile("surprisal"))).to_be_checked()


def test_a_model_that_cannot_score_is_said_so_before_sending(
    alice_page, upstream, daphne_server, live_alice_provider
):
    page = alice_page
    daphne_server.django(
        """
        from django.utils import timezone
        from playground.providers.capabilities import record
        from playground.providers.models import Provider
        record(
            Provider.objects.get(pk=params["provider"]),
            "fake-model",
            {
                "echo_logprobs": {"value": False, "evidence": "no prompt logprobs came back"},
                "suffix": {"value": False, "evidence": "pasted after the text"},
            },
            timezone.now(),
        )
        result = None
        """,
        provider=live_alice_provider,
    )
    page.reload()
    score = page.get_by_role("button", name="Score prompt")
    expect(score).to_have_attribute("data-unavailable", "")
    document(page).fill("Hello. World.")
    score.click()
    expect(page.locator("#score-summary")).to_contain_text("cannot score a prompt")
    # Insert mode too: said with the cursor inside the text, before anything is sent.
    put_caret(page, len("Hello."))
    note = page.locator("#insert-note")
    expect(note).to_contain_text("does not honour suffix")
    expect(note).to_have_attribute("title", "pasted after the text")
    assert upstream.completion_requests == []


# The backdrop's classes and text, merged where neighbouring spans have the same classes,
# beside the textarea's height and the backdrop's: the two wrap alike when the heights agree.
DOCUMENT_VIEW = """() => {
  const backdrop = document.getElementById("document-backdrop");
  const textarea = document.getElementById("id_prompt");
  const runs = [];
  for (const span of backdrop.querySelectorAll("span:not(.document-end)")) {
    const last = runs[runs.length - 1];
    if (last && last[0] === span.className) last[1] += span.textContent;
    else runs.push([span.className, span.textContent]);
  }
  return {runs, text: runs.map((run) => run[1]).join(""), value: textarea.value,
          heights: [backdrop.scrollHeight, textarea.scrollHeight]};
}"""


def test_a_long_completion_keeps_every_token_and_tint_and_wraps_as_the_textarea(
    alice_page, upstream
):
    page = alice_page
    # 1,500 tokens, about 9,000 characters in one paragraph; each bucket of probability in turn.
    tokens = [(f" w{i}", math.log((i % 10) / 10 + 0.05)) for i in range(1500)]
    upstream.script(
        SSE(
            [
                *[logprobs_chunk(text, lp, {text: lp, " x": -5.0}) for text, lp in tokens],
                completion_chunk("", finish_reason="stop"),
            ],
            delay=0.003,
        )
    )
    page.get_by_label("Show probabilities").check()
    document(page).fill("Count:")
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("#stop-button")).to_be_enabled()
    # The reader scrolls the document while it grows.
    page.locator(".document").hover()
    page.mouse.wheel(0, 400)
    expect(page.locator("#stop-button")).to_be_disabled(timeout=30_000)
    wait_until_idle(page)

    generated = "".join(text for text, _ in tokens)
    expected = [["look-typed", "Count:"]]
    for text, lp in tokens:
        expected.append([f"look-generated tok p{min(9, math.floor(math.exp(lp) * 10))}", text])
    view = page.evaluate(DOCUMENT_VIEW)
    assert view["value"] == "Count:" + generated
    assert view["text"] == view["value"]
    assert view["runs"] == expected
    assert view["heights"][0] == view["heights"][1]

    # At another width the text wraps elsewhere, in the backdrop as in the textarea.
    width = page.evaluate("document.getElementById('document-backdrop').clientWidth")
    page.set_viewport_size({"width": 700, "height": 800})
    page.wait_for_function(
        """(width) => {
            const backdrop = document.getElementById("document-backdrop");
            const textarea = document.getElementById("id_prompt");
            return backdrop.clientWidth !== width &&
                backdrop.scrollHeight === textarea.scrollHeight;
        }""",
        arg=width,
    )
    # Written into after the run: one more word at the end, typed.
    put_caret(page, len(view["value"]))
    page.keyboard.type(" done")
    view = page.evaluate(DOCUMENT_VIEW)
    assert view["runs"] == [*expected, ["look-typed", " done"]]
    assert view["heights"][0] == view["heights"][1]
    # A token late in the run still shows its alternatives.
    put_caret(page, len("Count:" + generated) - 2)
    expect(page.locator("#token-heading")).to_contain_text("w1499")


def test_a_continuation_keeps_the_odds_of_the_text_before_it_and_branches_from_there(
    alice_page, upstream
):
    page = alice_page
    upstream.script(
        SSE(
            [
                logprobs_chunk(" cats", -0.5, {" cats": -0.5, " dogs": -1.2}),
                completion_chunk("", finish_reason="stop"),
            ]
        ),
        SSE(
            [
                logprobs_chunk(" sleep", -0.3, {" sleep": -0.3, " purr": -1.5}),
                completion_chunk("", finish_reason="stop"),
            ]
        ),
        SSE(token_stream([" bark"], finish_reason="stop")),
    )
    page.get_by_label("Show probabilities").check()
    document(page).fill("I like")
    page.keyboard.press("Control+Enter")
    expect(document(page)).to_have_value("I like cats")
    wait_until_idle(page)
    page.keyboard.press("Control+Enter")
    expect(document(page)).to_have_value("I like cats sleep")
    wait_until_idle(page)

    # Reloaded, the second completion's document still shows the first one's token, tinted.
    page.reload()
    tokens = page.locator("#document-backdrop .tok")
    expect(tokens).to_have_text([" cats", " sleep"])
    expect(tokens.first).to_have_class(re.compile(r"\bp6\b"))

    # Its alternatives branch from the first completion, where it was generated.
    put_caret(page, len("I like ca"))
    panel = page.locator("#token-panel")
    expect(panel.locator("h3")).to_have_text("“ cats” 61%")
    panel.get_by_role("button", name=re.compile("dogs")).click()
    expect(document(page)).to_have_value("I like dogs bark")
    wait_until_idle(page)
    third = upstream.completion_requests[2].body
    assert third["prompt"] == "I like dogs"
    # A child of the first completion, at its token 0: a sibling of the second.
    child = page.locator('#tree [role="treeitem"] [role="treeitem"]')
    expect(child).to_have_count(2)


def test_a_run_cards_choice_opens_as_its_node_in_the_document(alice_page, upstream):
    page = alice_page
    upstream.script(
        SSE(
            [
                completion_chunk(" red", index=0),
                completion_chunk(" blue", index=1),
                completion_chunk(" roses", index=0, finish_reason="stop"),
                completion_chunk(" skies", index=1, finish_reason="stop"),
            ]
        )
    )
    document(page).fill("I like")
    page.get_by_label("n", exact=True).fill("2")
    page.keyboard.press("Control+Enter")
    # Choice 0 is written into the document, as always.
    expect(document(page)).to_have_value("I like red roses")
    wait_until_idle(page)

    card = page.locator("#live-run .run-card").first
    card.locator(".choice").nth(1).get_by_role("button", name="Open in the editor").click()
    # Choice 1 takes choice 0's place: not added after it.
    expect(document(page)).to_have_value("I like blue skies")
    assert generated_text(page) == " blue skies"
    assert selected_node(page) == card.get_attribute("data-run") + ":1"
    expect(page.locator('#tree [aria-selected="true"] .node-label').first).to_have_text(
        "blue skies"
    )
    expect(page.locator("#save-state")).to_have_text("Saved")

    card.locator(".choice").nth(0).get_by_role("button", name="Open in the editor").click()
    expect(document(page)).to_have_value("I like red roses")


def test_a_run_card_opens_nothing_while_a_run_writes_into_the_document(alice_page, upstream):
    page = alice_page
    upstream.script(
        SSE(token_stream([" red"], finish_reason="stop")),
        SSE(token_stream([" and", " green", " and", " blue"], finish_reason="stop"), delay=0.3),
    )
    document(page).fill("I like")
    page.keyboard.press("Control+Enter")
    expect(document(page)).to_have_value("I like red")
    wait_until_idle(page)
    first = page.locator(
        "#run-" + page.locator("#live-run .run-card").first.get_attribute("data-run")
    )

    page.keyboard.press("Control+Enter")
    expect(document(page)).to_have_value(re.compile("^I like red and"))
    first.get_by_role("button", name="Open in the editor").click()
    expect(page.locator("#tree-status")).to_have_text(
        "A run is writing into the document: stop it, or wait for it to end."
    )
    expect(document(page)).to_have_value("I like red and green and blue")
    wait_until_idle(page)


def test_the_tree_opens_no_other_node_while_a_run_writes_into_the_document(alice_page, upstream):
    page = alice_page
    upstream.script(
        SSE(
            [
                completion_chunk(" red", index=0, finish_reason="stop"),
                completion_chunk(" blue", index=1, finish_reason="stop"),
            ]
        ),
        SSE(token_stream([" and", " green", " and", " gold"], finish_reason="stop"), delay=0.3),
    )
    document(page).fill("I like")
    page.get_by_label("n", exact=True).fill("2")
    page.keyboard.press("Control+Enter")
    expect(document(page)).to_have_value("I like red")
    wait_until_idle(page)
    expect(tree_items(page)).to_have_count(2)

    page.get_by_label("n", exact=True).fill("1")
    put_caret(page, len("I like red"))
    page.keyboard.press("Control+Enter")
    expect(document(page)).to_have_value(re.compile("^I like red and"))
    # Choice 1, a sibling of the node the run grows from.
    tree_items(page).nth(1).click()
    expect(page.locator("#tree-status")).to_have_text(
        "A run is writing into the document: stop it, or wait for it to end."
    )
    expect(document(page)).to_have_value("I like red and green and gold")
    wait_until_idle(page)
