"""Probe now, on the provider's page, in Chromium against a live daphne server."""

import pytest
from playwright.sync_api import expect

from .fake_provider import LLAMA_CPP_PYTHON, openai_like

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def provider_page(new_context, live_alice, live_alice_provider, upstream):
    upstream.respond_with(openai_like(LLAMA_CPP_PYTHON))

    def open_page(**options):
        page = new_context(user=live_alice, **options).new_page()
        page.goto(f"/providers/{live_alice_provider}/")
        return page

    return open_page


def test_probe_now_shows_what_the_provider_honours_in_place(provider_page, upstream):
    page = provider_page()
    expect(page.get_by_text("Not probed yet")).to_be_visible()
    page.evaluate("window.notReloaded = true")

    page.get_by_role("button", name="Probe now").click()

    row = page.locator("tr[data-capability='n_choices']")
    expect(row).to_contain_text("n above 1 in one request")
    expect(row).to_contain_text("Asked for n=2, got 1 choice.")
    expect(page.locator("tr[data-capability='suffix']")).to_contain_text("no")
    # Swapped in by htmx, with its CSRF token: the page itself stayed.
    assert page.evaluate("window.notReloaded") is True
    assert {request.body["model"] for request in upstream.completion_requests} == {"fake-model"}
    expect(page.get_by_role("button", name="Probe now")).to_be_enabled()


def test_the_measured_table_fits_a_phone(provider_page):
    page = provider_page(viewport=PHONE)
    page.get_by_role("button", name="Probe now").click()
    expect(page.locator("tr[data-capability='best_of']")).to_be_visible()

    width = page.evaluate("document.documentElement.scrollWidth")

    assert width <= PHONE["width"]
