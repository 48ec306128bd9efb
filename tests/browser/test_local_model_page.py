"""The embedded local model in the page: a real completion from Gemma 3 270M, streamed."""

import os

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.localmodel]


@pytest.fixture
def daphne_server_env():
    return {"PLAYGROUND_LOCAL_MODEL": "on"}


@pytest.fixture
def local_model_page(daphne_server, new_context, local_model_server):
    alice = daphne_server.create_user("alice")
    daphne_server.django(
        """
        from playground.localmodel.provider import sync_local_provider
        result = sync_local_provider(params["base_url"]).pk
        """,
        base_url=local_model_server.base_url,
    )
    page = new_context(user=alice).new_page()
    page.goto("/")
    expect(page.locator("#socket-state")).to_have_attribute("data-state", "open")
    expect(page.locator("#model-options-wrap .help")).to_be_visible()
    return page


def test_a_real_completion_streams_into_the_page(local_model_page):
    page = local_model_page
    expect(page.get_by_label("Provider", exact=True)).to_contain_text("Local: Gemma 3 270M")
    expect(page.get_by_label("model", exact=True)).to_have_value("gemma-3-270m")
    page.evaluate(
        """() => {
          window.lengths = [];
          new MutationObserver(() => {
            const pane = document.querySelector("#live-run .run-card.live .choice-text");
            if (pane) window.lengths.push(pane.textContent.length);
          }).observe(document.getElementById("live-run"),
                     {childList: true, subtree: true, characterData: true});
        }"""
    )

    page.get_by_label("Prompt", exact=True).fill("The capital of France is")
    page.get_by_label("max_tokens", exact=True).fill("24")
    page.get_by_label("temperature", exact=True).fill("0")
    page.get_by_role("button", name="Submit").click()

    card = page.locator("#live-run .run-card:not(.live)")
    expect(card.locator(".badge")).to_have_text("Completed", timeout=60_000)
    text = card.locator(".choice-text").inner_text()
    assert text.strip()
    lengths = [n for n in page.evaluate("window.lengths") if n]
    assert len(set(lengths)) >= 3, "the text should have grown in several steps"
    expect(card.locator(".stats")).to_contain_text("tokens/s")


def test_branching_from_an_alternative_on_the_real_model(local_model_page, tmp_path):
    page = local_model_page
    page.get_by_label("max_tokens", exact=True).fill("8")
    page.get_by_label("temperature", exact=True).fill("0")
    page.get_by_label("Show probabilities").check()
    prompt = page.get_by_label("Prompt", exact=True)
    prompt.fill("My favourite colour is")
    page.keyboard.press("Control+Enter")
    document = page.locator(".document")
    tree = page.locator('#tree [role="treeitem"]')
    expect(tree).to_have_count(1, timeout=60_000)
    expect(page.locator(".document[data-busy]")).to_have_count(0, timeout=60_000)
    first = prompt.input_value()
    assert first.startswith("My favourite colour is") and len(first) > len("My favourite colour is")
    # Tinted by the model's own probabilities.
    expect(document.locator("#document-backdrop .tok").first).to_be_visible()

    # The cursor in the first generated token shows the model's alternatives (up to 20).
    page.evaluate(
        """(at) => {
            const t = document.getElementById('id_prompt');
            t.focus();
            t.setSelectionRange(at, at);
        }""",
        len("My favourite colour is") + 1,
    )
    alternatives = page.locator("#token-panel .alternative:not(.chosen)")
    expect(alternatives.first).to_be_visible()
    assert alternatives.count() >= 9
    chosen = page.locator("#token-panel .alternative.chosen .alt-text").inner_text()
    other = alternatives.first.locator(".alt-text").inner_text()
    assert other != chosen
    alternatives.first.click()

    # A new branch: cut before that token, the alternative put in, generated on from there.
    expect(tree).to_have_count(2, timeout=60_000)
    expect(page.locator(".document[data-busy]")).to_have_count(0, timeout=60_000)
    branched = prompt.input_value()
    forced = other.encode().decode("unicode_escape")
    assert branched.startswith("My favourite colour is" + forced)
    child = page.locator('#tree [role="treeitem"] [role="treeitem"]')
    expect(child).to_have_attribute("aria-selected", "true")
    # The old continuation is its parent, one key away.
    page.keyboard.press("Alt+t")
    page.keyboard.press("ArrowLeft")
    expect(prompt).to_have_value(first)
    # The branch again, for a picture: EDITOR_SCREENSHOT=path makes README's screenshot.
    page.keyboard.press("ArrowRight")
    expect(prompt).to_have_value(branched)
    prompt.focus()
    at = len("My favourite colour is" + forced) + 3
    page.evaluate("(at) => document.getElementById('id_prompt').setSelectionRange(at, at)", at)
    target = os.environ.get("EDITOR_SCREENSHOT") or tmp_path / "branched-local-model.png"
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("#playground").screenshot(path=target)
