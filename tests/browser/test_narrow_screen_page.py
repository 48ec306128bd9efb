"""The pages on a phone, and the skip link, in Chromium against a live daphne server.

At 390 px wide (an iPhone 12 to 15) no page scrolls sideways and every action is on
screen; the first Tab on a page offers a link past the header to what the page is for.
"""

import pytest
from playwright.sync_api import Locator, Page, expect

from ..fake_upstream import SSE, token_stream

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LONG_TITLE = "Few-shot prompts for summarising quarterly infrastructure incident reports"
LONG_BASE_URL = "https://inference.eu-west-1.example-provider.com/openai/compatible/v1"


# The outermost elements that stick out past the right edge: what a failure names.
STICKING_OUT = """
() => [...document.body.querySelectorAll("*")]
  .filter((element) => element.getBoundingClientRect().right > innerWidth + 0.5)
  .filter((element) => element.parentElement.getBoundingClientRect().right <= innerWidth + 0.5)
  .map((element) => `${element.tagName.toLowerCase()}.${element.className}`)
"""


def assert_fits_the_width(page: Page) -> None:
    """Nothing makes the page wider than the screen, so it never scrolls sideways."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], (
        f"{page.url} is {width} px wide: {page.evaluate(STICKING_OUT)} stick out"
    )


def assert_on_screen(control: Locator) -> None:
    expect(control).to_be_visible()
    box = control.bounding_box()
    assert box is not None
    assert box["x"] >= 0, f"{control} starts off screen, at {box['x']} px"
    assert box["x"] + box["width"] <= PHONE["width"], f"{control} ends off screen: {box}"


@pytest.fixture
def phone_page(new_context, daphne_server, live_alice, live_alice_provider, shared_session):
    """Alice's phone, with a shared session, a long-titled one, one in the trash, and a
    provider with a long base URL."""
    daphne_server.django(
        """
        from playground.sessions.models import PlaygroundSession
        PlaygroundSession.objects.create(
            owner_id=params["owner"], title=params["title"], title_is_custom=True,
            provider_id=params["provider"], model="fake-model",
        )
        PlaygroundSession.objects.create(
            owner_id=params["owner"], title="Old " + params["title"], title_is_custom=True,
        ).move_to_trash()
        """,
        owner=live_alice.pk,
        title=LONG_TITLE,
        provider=live_alice_provider,
    )
    daphne_server.create_provider(
        live_alice, LONG_BASE_URL, name="Example provider (EU)", default_model="a-long-model-name"
    )
    return new_context(user=live_alice, viewport=PHONE).new_page()


def test_the_session_page_fits_a_phone_with_the_parameters_under_the_editor(
    phone_page, upstream, tmp_path
):
    page = phone_page
    upstream.script(SSE(token_stream([" Paris", "."], finish_reason="stop")))
    page.goto("/")
    expect(page.locator("#socket-state")).to_have_attribute("data-state", "open")
    page.get_by_label("Prompt", exact=True).fill("The capital of France is")
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("#live-run .run-card:not(.live)")).to_have_attribute(
        "data-status", "completed"
    )

    assert_fits_the_width(page)
    prompt = page.get_by_label("Prompt", exact=True)
    parameters = page.get_by_role("complementary", name="Parameters")
    assert_on_screen(prompt)
    assert_on_screen(parameters)
    assert parameters.bounding_box()["y"] > prompt.bounding_box()["y"]
    for action in page.locator(".session-actions").locator("a, button").all():
        assert_on_screen(action)
    # The editor's actions, its probability switch, the tree and the token panel.
    for action in page.locator(".editor-toolbar button").all():
        assert_on_screen(action)
    assert_on_screen(page.get_by_label("Show probabilities"))
    node = page.locator('#tree [role="treeitem"] .node-label')
    expect(node).to_have_text("Paris.")
    node.scroll_into_view_if_needed()
    assert_on_screen(node)
    node.click()
    expect(prompt).to_have_value("The capital of France is Paris.")
    assert_on_screen(page.locator("#token-panel"))
    page.screenshot(path=tmp_path / "session-page-top.png")
    page.screenshot(path=tmp_path / "session-page.png", full_page=True)

    # The run card's wide parts (the raw request, the code) scroll inside the card.
    card = page.locator("#live-run .run-card")
    card.get_by_text("Raw request and response").click()
    card.get_by_role("button", name="View code").click()
    expect(card.locator(".code-panel pre.highlight").first).to_be_visible()
    assert_fits_the_width(page)

    # The comparison panel: its columns of settings, and their results, one under another.
    upstream.respond_with(lambda body: SSE(token_stream([" Lyon"], finish_reason="stop")))
    page.get_by_text("One prompt, 2 to 6 columns").click()
    page.get_by_role("button", name="Add column").click()
    page.get_by_role("button", name="Compare", exact=True).click()
    expect(page.locator(".compare-result .result-figures").last).to_contain_text("completed")
    assert_fits_the_width(page)
    for action in ["Add column", "Compare", "Stop all"]:
        control = page.get_by_role("button", name=action, exact=True)
        control.scroll_into_view_if_needed()
        assert_on_screen(control)
    result = page.locator(".compare-result").last
    result.scroll_into_view_if_needed()
    assert_on_screen(result)
    page.locator("#compare-panel").screenshot(path=tmp_path / "compare-phone.png")


def test_the_sessions_list_shows_every_action_on_a_phone(phone_page, tmp_path):
    page = phone_page
    page.goto("/sessions/")
    rows = page.locator("#session-results tbody tr")
    expect(rows).to_have_count(2)

    assert_fits_the_width(page)
    for row in rows.all():
        assert_on_screen(row.get_by_role("link").first)
        assert_on_screen(row.get_by_role("textbox"))
        for name in ["Rename", "Duplicate", "Delete"]:
            assert_on_screen(row.get_by_role("button", name=name))
    assert_on_screen(page.get_by_role("button", name="New session"))
    assert_on_screen(page.get_by_role("link", name="Trash"))
    assert_on_screen(page.get_by_role("button", name="Search"))
    assert_on_screen(page.get_by_role("button", name="Import"))
    page.screenshot(path=tmp_path / "sessions-list.png", full_page=True)


def test_the_trash_fits_a_phone(phone_page):
    page = phone_page
    page.goto("/sessions/trash/")
    assert_fits_the_width(page)
    assert_on_screen(page.get_by_role("button", name="Restore"))
    assert_on_screen(page.get_by_role("button", name="Delete for good"))


def test_the_providers_fit_a_phone(phone_page, tmp_path):
    page = phone_page
    page.goto("/providers/")
    assert_fits_the_width(page)
    assert_on_screen(page.get_by_role("link", name="Add a provider"))
    for name in ["Fake upstream", "Example provider (EU)"]:
        assert_on_screen(page.get_by_role("link", name=name))
    expect(page.get_by_role("button", name="Delete")).to_have_count(2)
    for button in page.get_by_role("button", name="Delete").all():
        assert_on_screen(button)
    page.screenshot(path=tmp_path / "providers.png", full_page=True)


def test_the_share_settings_fit_a_phone(phone_page, shared_session, tmp_path):
    page = phone_page
    page.goto(f"/sessions/{shared_session['id']}/share/")
    assert_fits_the_width(page)
    for name in ["Save", "Copy", "Replace with a new link", "Revoke"]:
        assert_on_screen(page.get_by_role("button", name=name))
    assert_on_screen(page.get_by_label("Share link"))
    assert_on_screen(page.get_by_role("link", name="Open presenter mode"))
    page.screenshot(path=tmp_path / "share-settings.png", full_page=True)


def test_the_first_tab_offers_a_skip_to_the_editor(phone_page):
    page = phone_page
    page.goto("/")
    expect(page.locator("#socket-state")).to_have_attribute("data-state", "open")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the editor")
    expect(skip).to_be_focused()
    assert_on_screen(skip)
    page.keyboard.press("Enter")
    expect(page.get_by_label("Prompt", exact=True)).to_be_focused()


def test_the_first_tab_elsewhere_skips_to_the_content(phone_page):
    page = phone_page
    page.goto("/sessions/")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    assert_on_screen(skip)
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # The next Tab goes on from the content, not from the top of the page.
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="New session")).to_be_focused()
