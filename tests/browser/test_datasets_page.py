"""Datasets and variables as a person uses them: a CSV pasted and listed, and a prompt's
{{variable}} given a value and sent filled in."""

import pytest
from playwright.sync_api import expect

from ..fake_upstream import SSE, token_stream

pytestmark = pytest.mark.browser


def test_a_pasted_csv_is_listed_with_its_rows_on_a_narrow_screen(new_context, live_alice):
    page = new_context(user=live_alice, viewport={"width": 390, "height": 800}).new_page()
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Datasets").click()
    page.get_by_role("link", name="New dataset").click()
    page.get_by_label("Name").fill("Capitals")
    page.get_by_label("Paste CSV").fill('city,expected\nParis,France\n"<b>Rome</b>",Italy\n')
    page.get_by_role("button", name="Store the dataset").click()

    expect(page.locator("#row-count")).to_have_text("2 rows")
    table = page.locator(".dataset-rows")
    expect(table.locator("thead th")).to_have_text(["#", "city", "expected"])
    expect(table.locator("tbody tr").nth(1).locator("td")).to_have_text(["<b>Rome</b>", "Italy"])
    # Nothing is wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_role("link", name="All datasets").click()
    row = page.locator("tbody tr", has_text="Capitals")
    expect(row.locator('[data-label="Rows"]')).to_have_text("2")


def test_a_prompts_variable_gets_a_box_and_the_run_sends_it_filled(alice_page, upstream):
    page = alice_page
    upstream.script(SSE(token_stream([" Paris", "."], finish_reason="stop")))
    panel = page.locator("#variables-panel")
    expect(panel).to_be_hidden()
    page.get_by_label("Prompt", exact=True).fill("The capital of {{city}} is")
    box = panel.get_by_label("city")
    expect(box).to_be_visible()
    box.fill("France")
    page.get_by_role("button", name="Submit").click()

    expect(page.get_by_label("Prompt", exact=True)).to_have_value(
        "The capital of {{city}} is Paris."
    )
    assert upstream.completion_requests[0].body["prompt"] == "The capital of France is"
    # The value is kept with the session.
    expect(page.locator("#save-state")).to_have_text("Saved")
    page.reload()
    expect(page.locator("#variables-panel").get_by_label("city")).to_have_value("France")
