"""The pages work under their Content-Security-Policy, in Chromium against a live daphne.

Chromium enforces the policy the server sends; every violation it reports (a
`securitypolicyviolation` event, and a console error) fails the test.
"""

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from ..fake_upstream import SSE, token_stream

pytestmark = pytest.mark.browser

# Runs before the page's own scripts (Playwright's init scripts are not subject to the CSP).
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


class Watched:
    """A browser context whose pages report what the policy blocked."""

    def __init__(self, context: BrowserContext):
        self.context = context
        self.console_errors: list[str] = []
        # What the pages asked for and did not get (the icon a browser asks every site for
        # is reported only here).
        self.failed_loads: list[str] = []
        context.add_init_script(RECORD_VIOLATIONS)
        context.on("console", self._on_console)

    def _on_console(self, message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.console_errors.append(message.text)
        elif message.type == "error" and "Failed to load resource" in message.text:
            self.failed_loads.append(f"{message.text} {message.location.get('url')}")

    def open(self, url: str) -> Page:
        page = self.context.new_page()
        page.goto(url)
        return page

    def assert_nothing_blocked(self) -> None:
        violations = [
            violation for page in self.context.pages for violation in page_violations(page)
        ]
        assert violations == []
        assert self.console_errors == []
        assert self.failed_loads == []


def page_violations(page: Page) -> list[str]:
    return page.evaluate("window.cspViolations")


def assert_scripts_run(page: Page) -> None:
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("htmx.config.allowEval") is False


@pytest.fixture
def watched(new_context):
    def make(user=None) -> Watched:
        return Watched(new_context(user=user))

    return make


def test_the_playground_streams_a_run_under_the_policy(
    watched, live_alice, live_alice_provider, upstream
):
    alice = watched(live_alice)
    upstream.script(SSE(token_stream(["Rain", " on", " tin"], finish_reason="stop")))

    page = alice.open("/")
    # The socket opened: connect-src 'self' covers the page's own ws:// origin.
    expect(page.locator("#socket-state")).to_have_attribute("data-state", "open")
    expect(page.locator("#model-options-wrap .help")).to_be_visible()
    assert_scripts_run(page)
    page.get_by_label("Prompt", exact=True).fill("Weather:")
    page.get_by_role("button", name="Submit").click()
    card = page.locator("#live-run .run-card:not(.live)")
    expect(card).to_have_attribute("data-status", "completed")
    expect(card.locator(".choice-text")).to_have_text("Rain on tin")
    expect(page.locator("#save-state")).to_have_text("Saved")

    alice.assert_nothing_blocked()


def test_the_other_pages_work_under_the_policy(
    watched, daphne_server, live_alice, live_alice_provider, shared_session
):
    alice = watched(live_alice)
    for url in [
        "/sessions/",
        "/sessions/trash/",
        "/providers/",
        "/providers/new/",
        f"/providers/{live_alice_provider}/",
        f"/sessions/{shared_session['id']}/share/",
        "/accounts/password/",
    ]:
        page = alice.open(url)
        assert_scripts_run(page)

    # An htmx request and swap: the session search.
    sessions = alice.open("/sessions/")
    sessions.get_by_role("searchbox").fill("haiku")
    expect(sessions.locator("#session-results tbody tr")).to_have_count(1)

    # The presenter's page opens its socket.
    presenter = alice.open(f"/sessions/{shared_session['id']}/present/")
    expect(presenter.locator("#socket-state")).to_have_attribute("data-state", "open")

    alice.assert_nothing_blocked()


def test_the_share_page_and_the_login_page_work_under_the_policy(
    watched, daphne_server, shared_session
):
    bob = watched(daphne_server.create_user("bob"))
    shared = bob.open(f"/s/{shared_session['token']}/")
    expect(shared.locator("#watch")).to_have_attribute("data-socket", "open")
    assert_scripts_run(shared)

    visitor = watched()
    login = visitor.open("/accounts/login/")
    expect(login.get_by_role("button", name="Log in")).to_be_visible()
    assert_scripts_run(login)

    bob.assert_nothing_blocked()
    visitor.assert_nothing_blocked()


def test_the_admin_works_under_the_policy(watched, daphne_server, live_alice_provider):
    staff = watched(daphne_server.create_user("root", is_staff=True, is_superuser=True))
    for url in [
        "/admin/",
        "/admin/providers/provider/",
        f"/admin/providers/provider/{live_alice_provider}/change/",
    ]:
        page = staff.open(url)
        expect(page.locator("#content")).to_be_visible()

    staff.assert_nothing_blocked()


def test_the_policy_is_enforced(watched, daphne_server):
    """The checks above would see a violation: injected inline code is blocked and reported."""
    visitor = watched()
    page = visitor.open("/accounts/login/")

    page.evaluate(
        """() => document.body.insertAdjacentHTML(
            "beforeend", '<img src="/static/none.png" onerror="window.injected = true">')"""
    )

    expect(page.locator("img[onerror]")).to_have_count(1)
    page.wait_for_function("window.cspViolations.length > 0")
    assert page.evaluate("window.injected") is None
    assert any(v.startswith("script-src") for v in page_violations(page))
