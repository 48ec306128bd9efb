"""The parameters panel as a person uses it, in Chromium against a live daphne server: the
sliders beside the sampling numbers, and the "Advanced" disclosure."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

SHOTS = "/tmp/shots-panel"


def number(page: Page, name: str):
    return page.get_by_label(name, exact=True)


def slider(page: Page, name: str):
    return page.get_by_label(f"{name} slider", exact=True)


def saved_and_reloaded(page: Page) -> None:
    expect(page.locator("#save-state")).to_have_text("Saved")
    page.reload()
    expect(page.locator("#socket-state")).to_have_attribute("data-state", "open")


def test_moving_a_slider_by_keyboard_sets_the_number_and_it_is_saved(alice_page):
    page = alice_page
    expect(slider(page, "top_p")).to_have_attribute("data-unset", "")

    slider(page, "top_p").focus()
    page.keyboard.press("Home")
    for _ in range(3):
        page.keyboard.press("ArrowRight")

    expect(number(page, "top_p")).to_have_value("0.03")
    expect(slider(page, "top_p")).not_to_have_attribute("data-unset", "")
    saved_and_reloaded(page)
    expect(number(page, "top_p")).to_have_value("0.03")
    expect(slider(page, "top_p")).to_have_value("0.03")
    expect(slider(page, "top_p")).not_to_have_attribute("data-unset", "")


def test_typing_a_number_moves_its_slider(alice_page):
    page = alice_page

    number(page, "presence_penalty").fill("-1.25")

    expect(slider(page, "presence_penalty")).to_have_value("-1.25")
    expect(slider(page, "presence_penalty")).not_to_have_attribute("data-unset", "")
    saved_and_reloaded(page)
    expect(slider(page, "presence_penalty")).to_have_value("-1.25")


def test_clearing_the_number_leaves_the_parameter_unset(alice_page, upstream):
    page = alice_page
    slider(page, "temperature").fill("0.5")
    expect(number(page, "temperature")).to_have_value("0.5")
    expect(page.locator("#save-state")).to_have_text("Saved")

    number(page, "temperature").fill("")

    # Back on the API's default, greyed: it shows where the default is, and sets nothing.
    expect(slider(page, "temperature")).to_have_value("1")
    expect(slider(page, "temperature")).to_have_attribute("data-unset", "")
    saved_and_reloaded(page)
    expect(number(page, "temperature")).to_have_value("")
    expect(slider(page, "temperature")).to_have_value("1")
    expect(slider(page, "temperature")).to_have_attribute("data-unset", "")
    page.screenshot(path=f"{SHOTS}/panel.png", full_page=True)
    page.locator(".parameters").screenshot(path=f"{SHOTS}/parameters.png")

    page.get_by_label("Prompt", exact=True).fill("Hi")
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("#live-run .run-card:not(.live)")).to_have_attribute(
        "data-status", "completed"
    )
    assert "temperature" not in upstream.last_body


def test_an_error_on_an_advanced_field_opens_the_disclosure(alice_page, upstream):
    page = alice_page
    extra_body = page.get_by_label("extra body fields", exact=True)
    advanced = page.locator("details.advanced-parameters")
    expect(extra_body).to_be_hidden()

    page.get_by_text("Advanced", exact=True).click()
    extra_body.fill("{not json")
    page.get_by_text("Advanced", exact=True).click()
    expect(extra_body).to_be_hidden()
    page.get_by_label("Prompt", exact=True).fill("Hi")
    page.get_by_role("button", name="Submit").click()

    expect(advanced).to_have_attribute("open", "")
    expect(extra_body).to_be_visible()
    expect(page.locator("#error-extra_body")).to_contain_text("extra body fields is not valid JSON")
    expect(page.locator('[data-field="extra_body"]')).to_have_class(re.compile(r"\bhas-error\b"))
    page.locator(".parameters").screenshot(path=f"{SHOTS}/advanced-error.png")
    assert not [r for r in upstream.requests if r.path.endswith("/completions")]
