"""Compare as a person uses it: three columns of one prompt, streaming side by side.

Against the fake upstream (a real HTTP server speaking SSE) and a live daphne server.
"""

import os
import re

import pytest
from playwright.sync_api import expect

from ..fake_upstream import SSE, Reply, completion_chunk, token_stream

pytestmark = pytest.mark.browser

# Set to a path, the test saves a screenshot of the finished comparison there.
SCREENSHOT = os.environ.get("COMPARE_SCREENSHOT")


def with_logprobs(tokens: list[tuple[str, float]]) -> list[dict]:
    chunks = [
        completion_chunk(
            text,
            logprobs={"tokens": [text], "token_logprobs": [lp], "top_logprobs": [{text: lp}]},
        )
        for text, lp in tokens
    ]
    return [*chunks, completion_chunk("", finish_reason="stop")]


def by_temperature(body):
    """Each column's reply by its temperature: the three differ after their first token."""
    replies = {
        0.2: [(" The", -0.1), (" sun", -0.2), (" rises", -0.3)],
        0.9: [(" The", -0.1), (" moon", -1.6), (" sets", -0.4)],
        1.5: [(" A", -2.3), (" storm", -0.9)],
    }
    return SSE(with_logprobs(replies[body["temperature"]]), delay=0.05)


def test_three_columns_stream_side_by_side_and_show_where_they_depart(alice_page, upstream):
    page = alice_page
    upstream.respond_with(by_temperature)
    page.get_by_label("Show probabilities").check()
    page.get_by_label("Prompt", exact=True).fill("Morning:")

    page.get_by_text("One prompt, 2 to 6 columns").click()
    columns = page.locator(".compare-column")
    expect(columns).to_have_count(2)
    # Each column starts from the form's settings; a third is a duplicate of the second.
    expect(columns.nth(0).get_by_label("model")).to_have_value("fake-model")
    columns.nth(1).get_by_role("button", name="Duplicate").click()
    expect(columns).to_have_count(3)
    for index, temperature in enumerate(["0.2", "0.9", "1.5"]):
        columns.nth(index).get_by_label("temperature").fill(temperature)
    columns.nth(2).get_by_label("seed").fill("42")
    page.get_by_role("button", name="Compare", exact=True).click()

    results = page.locator(".compare-result")
    expect(results).to_have_count(3)
    expect(results.nth(0).locator(".result-title")).to_have_text(
        "Column 1: Fake upstream · fake-model"
    )
    # All three stream at once: the main Stop button stops them all while they go.
    expect(page.locator("#compare-stop")).to_be_enabled()
    expect(results.nth(0).locator(".result-text")).to_have_text(" The sun rises")
    expect(results.nth(1).locator(".result-text")).to_have_text(" The moon sets")
    expect(results.nth(2).locator(".result-text")).to_have_text(" A storm")
    expect(page.locator("#compare-status")).to_have_text("Done: 3 columns.")
    # Each column's run joins the run records, as a reload lists them: the last column on top.
    cards = page.locator("#run-history .run-card")
    expect(cards).to_have_count(3)
    expect(cards.first.locator(".choice-text")).to_have_text(" A storm")
    expect(page.locator("#no-runs")).to_have_count(0)
    for result in (results.nth(0), results.nth(1), results.nth(2)):
        expect(result.locator(".result-figures")).to_contain_text("completed · first token")
        expect(result.locator(".result-figures")).to_contain_text("finish_reason: stop")
    # Where each departs from the first column, with both tokens' probabilities.
    expect(results.nth(1).locator(".result-divergence")).to_have_text(
        "Departs from column 1 at token 2: “ moon” (20%) where column 1 has “ sun” (82%)."
    )
    expect(results.nth(1).locator("mark.diverges")).to_have_text(" moon sets")
    expect(results.nth(2).locator("mark.diverges")).to_have_text(" A storm")
    bodies = sorted(upstream.completion_requests, key=lambda r: r.body["temperature"])
    assert [r.body["prompt"] for r in bodies] == ["Morning:"] * 3
    assert "seed" not in bodies[0].body and bodies[2].body["seed"] == 42
    if SCREENSHOT:
        page.locator("#compare-panel").screenshot(path=SCREENSHOT)

    # Each column is a branch of the tree; one opens in the editor.
    expect(page.locator('#tree [role="treeitem"]')).to_have_count(3)
    results.nth(1).get_by_role("button", name="Open in the editor").click()
    expect(page.get_by_label("Prompt", exact=True)).to_have_value("Morning: The moon sets")

    # After a reload, the comparison is there as it ended, columns and all.
    page.reload()
    expect(page.locator(".compare-result")).to_have_count(3)
    expect(page.locator(".compare-column")).to_have_count(3)
    expect(page.locator(".compare-column").nth(2).get_by_label("seed")).to_have_value("42")
    expect(page.locator(".compare-result").nth(2).locator(".result-text")).to_have_text(" A storm")
    expect(page.locator(".compare-result").nth(1).locator(".result-divergence")).to_contain_text(
        re.compile("at token 2")
    )

    # One comparison: no list of earlier ones yet.
    history = page.get_by_label("Comparisons in this session")
    expect(history).to_be_hidden()
    # A second comparison, of two columns: the list shows at once, newest first and chosen,
    # as it does after a reload; from it the first can be shown again.
    page.locator(".compare-column").nth(2).get_by_role("button", name="Remove").click()
    page.get_by_role("button", name="Compare", exact=True).click()
    expect(page.locator("#compare-status")).to_have_text("Done: 2 columns.")
    expect(history).to_be_visible()
    live_labels = history.locator("option").all_text_contents()
    assert len(live_labels) == 2
    assert live_labels[0].endswith(": fake-model, fake-model")
    assert live_labels[1].endswith(": fake-model, fake-model, fake-model")
    expect(history).to_have_value(history.locator("option").nth(0).get_attribute("value"))
    page.reload()
    expect(page.locator(".compare-result")).to_have_count(2)
    assert history.locator("option").all_text_contents() == live_labels
    # The status line gives the comparison's time as the list does, in UTC.
    expect(page.locator("#compare-status")).to_have_text(
        f"The comparison of {live_labels[0].split(': ')[0]} UTC."
    )
    history.select_option(index=1)
    expect(page.locator(".compare-result")).to_have_count(3)
    expect(page.locator(".compare-column")).to_have_count(3)
    expect(page.locator(".compare-result").nth(2).locator(".result-text")).to_have_text(" A storm")


def test_a_column_the_form_refuses_is_named_and_nothing_is_sent(alice_page, upstream):
    page = alice_page
    page.get_by_text("One prompt, 2 to 6 columns").click()
    columns = page.locator(".compare-column")
    columns.nth(1).get_by_label("temperature").fill("7")
    page.get_by_role("button", name="Compare", exact=True).click()

    expect(columns.nth(1).locator(".column-error")).to_contain_text("temperature")
    expect(page.locator("#compare-status")).to_have_text("Nothing was sent: fix column 2.")
    assert upstream.completion_requests == []


def test_columns_follow_the_form_until_changed_in_the_column(alice_page, upstream):
    # Set after the page loaded, the form's values are what the columns send; a value typed
    # into a column is that column's own.
    page = alice_page
    page.get_by_label("Prompt", exact=True).fill("Once")
    page.get_by_label("max_tokens", exact=True).fill("12")
    page.get_by_text("One prompt, 2 to 6 columns").click()
    columns = page.locator(".compare-column")
    expect(columns.nth(0).get_by_label("max_tokens")).to_have_value("12")
    columns.nth(1).get_by_label("max_tokens").fill("3")
    page.get_by_label("max_tokens", exact=True).fill("9")
    expect(columns.nth(0).get_by_label("max_tokens")).to_have_value("9")
    expect(columns.nth(1).get_by_label("max_tokens")).to_have_value("3")
    columns.nth(0).get_by_role("button", name="Duplicate").click()
    page.get_by_label("max_tokens", exact=True).fill("10")
    expect(columns.nth(1).get_by_label("max_tokens")).to_have_value("10")
    page.get_by_role("button", name="Compare", exact=True).click()

    expect(page.locator("#compare-status")).to_have_text("Done: 3 columns.")
    sent = sorted(request.body["max_tokens"] for request in upstream.completion_requests)
    assert sent == [3, 10, 10]


def test_a_columns_provider_brings_its_default_model(
    daphne_server, new_context, live_alice, live_alice_provider, upstream
):
    daphne_server.create_provider(
        live_alice, upstream.base_url, name="Second upstream", default_model="other-model"
    )
    page = new_context(user=live_alice).new_page()
    page.goto("/")
    expect(page.locator("#socket-state")).to_have_attribute("data-state", "open")
    page.get_by_label("Prompt", exact=True).fill("Once")
    page.get_by_text("One prompt, 2 to 6 columns").click()
    columns = page.locator(".compare-column")
    expect(columns.nth(1).get_by_label("model")).to_have_value("fake-model")

    columns.nth(1).get_by_label("provider").select_option(label="Second upstream")
    expect(columns.nth(1).get_by_label("model")).to_have_value("other-model")
    # The column keeps it: the form's model is the first provider's.
    page.get_by_label("model", exact=True).fill("fake-model-2")
    expect(columns.nth(0).get_by_label("model")).to_have_value("fake-model-2")
    expect(columns.nth(1).get_by_label("model")).to_have_value("other-model")
    page.get_by_role("button", name="Compare", exact=True).click()

    expect(page.locator("#compare-status")).to_have_text("Done: 2 columns.")
    sent = sorted(request.body["model"] for request in upstream.completion_requests)
    assert sent == ["fake-model-2", "other-model"]


def test_a_failed_column_or_one_that_ends_early_is_told_apart_from_one_that_departs(
    alice_page, upstream
):
    def by_seed(body):
        if body["seed"] == 2:
            return Reply({"error": {"message": "The model is overloaded."}}, status=500)
        words = {
            1: [" The", " sun", " rises"],
            3: [" The", " sun"],
            4: [" The", " sun", " rises", "!"],
        }
        return SSE(token_stream(words[body["seed"]], finish_reason="stop"))

    page = alice_page
    upstream.respond_with(by_seed)
    page.get_by_label("Prompt", exact=True).fill("Morning:")
    page.get_by_text("One prompt, 2 to 6 columns").click()
    columns = page.locator(".compare-column")
    page.get_by_role("button", name="Add column").click()
    page.get_by_role("button", name="Add column").click()
    for index in range(4):
        columns.nth(index).get_by_label("seed").fill(str(index + 1))
    page.get_by_role("button", name="Compare", exact=True).click()

    expect(page.locator("#compare-status")).to_have_text("Done: 4 columns: 3 completed, 1 failed.")
    notes = page.locator(".compare-result .result-divergence")
    expect(notes.nth(1)).to_have_text("No text to compare with column 1.")
    expect(notes.nth(2)).to_have_text("Ends at character 9, where column 1 goes on.")
    expect(notes.nth(3)).to_have_text("Goes on at character 15, where column 1 ends.")
    expect(page.locator(".compare-result").nth(1)).to_contain_text("The model is overloaded.")
