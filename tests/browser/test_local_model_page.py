"""The embedded local model in the page: a real completion from Gemma 3 270M, streamed."""

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
    page.get_by_label("max_tokens").fill("24")
    page.get_by_label("temperature", exact=True).fill("0")
    page.get_by_role("button", name="Submit").click()

    card = page.locator("#live-run .run-card:not(.live)")
    expect(card.locator(".badge")).to_have_text("Completed", timeout=60_000)
    text = card.locator(".choice-text").inner_text()
    assert text.strip()
    lengths = [n for n in page.evaluate("window.lengths") if n]
    assert len(set(lengths)) >= 3, "the text should have grown in several steps"
    expect(card.locator(".stats")).to_contain_text("tokens/s")
