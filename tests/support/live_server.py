"""Fixtures for tests against a live daphne server: the server, headless Chromium, pages.

A pytest plugin (tests/conftest.py loads it), for the browser tests, the fault tests and the
tests of what `manage.py serve` runs.

    daphne_server         a started LiveDaphne on a fresh database: .url, .restart(),
                          .kill(), .stop(), .start(), .django(code), .create_user() ...
    daphne_server_env     extra environment for it (override the fixture in a module)
    stopped_server        stopped_server(**env): a LiveDaphne on a fresh database, not
                          started: its environment and .django() helper, for workers and
                          `manage.py serve` (tests/support/live_worker.py)
    browser               Debian's Chromium, headless (module scope)
    new_context           new_context(user=None, **options): a browser context (one per
                          person) on the server's URL; with a user, already logged in
    page                  a page in a fresh context
    log_in                log_in(page, user) logs in through the login form
    live_alice            alice, a user of the live server (a LiveUser: pk, username, password)
    live_alice_provider   the pk of alice's provider, pointing at the `upstream` fake
    alice_page            a page of alice's (with her provider) on the playground, its
                          socket connected and its model list loaded

A failing test leaves a screenshot of each of its pages and the server's log in the report.
"""

import contextlib

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect, sync_playwright

from ..secrets_audit import watch_browser_context
from .live_daphne import LiveDaphne, LiveUser, create_template_database

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Keeps each phase's report on the test, so fixtures can tell at teardown that it failed.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _failed(request) -> bool:
    return any(
        getattr(getattr(request.node, f"report_{when}", None), "failed", False)
        for when in ("setup", "call")
    )


@pytest.fixture(scope="session")
def daphne_database_template(tmp_path_factory):
    """A migrated database that each live server's database is cloned from."""
    database = create_template_database(tmp_path_factory.mktemp("live-template"))
    yield database
    database.drop()


@pytest.fixture
def daphne_server_env() -> dict[str, str]:
    """Extra environment for the server; override this fixture in a module to change it."""
    return {}


@pytest.fixture
def daphne_server(daphne_database_template, daphne_server_env, tmp_path, request):
    data_dir = tmp_path / "server"
    data_dir.mkdir()
    database = daphne_database_template.clone(data_dir)
    server = LiveDaphne(database, data_dir, env=daphne_server_env)
    try:
        server.start()
        yield server
    finally:
        server.close()
        database.drop()
        if _failed(request):
            print(f"--- daphne log ({server.log_path}) ---\n{server.log_tail()}")


@pytest.fixture
def stopped_server(daphne_database_template, tmp_path):
    made = []

    def make(**env) -> LiveDaphne:
        data_dir = tmp_path / f"server-{len(made)}"
        data_dir.mkdir()
        server = LiveDaphne(daphne_database_template.clone(data_dir), data_dir, env=env)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()
        server.database.drop()


@pytest.fixture(scope="module")
def browser():
    # Module scope, not session: the sync API keeps an event loop marked running while a
    # browser is open, which would break the async tests that run after this module.
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def new_context(browser, daphne_server, request, tmp_path):
    """Makes browser contexts (separate cookie jars: one per person) on the live server.

    With a user, the context holds a session of theirs, as if they had logged in.
    """
    contexts = []

    def make(user: LiveUser | None = None, **options):
        options = {"base_url": daphne_server.url, "viewport": VIEWPORT, **options}
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        watch_browser_context(context)
        contexts.append(context)
        if user is not None:
            context.add_cookies([daphne_server.session_cookie(user)])
        return context

    yield make
    failed = _failed(request)
    for number, context in enumerate(contexts):
        for page_number, page in enumerate(context.pages):
            if failed:
                path = tmp_path / f"failure-{number}-{page_number}.png"
                with contextlib.suppress(PlaywrightError):
                    page.screenshot(path=path, full_page=True)
                    print(f"Screenshot of {page.url}: {path}")
        context.close()


@pytest.fixture
def page(new_context) -> Page:
    return new_context().new_page()


@pytest.fixture
def log_in():
    def log_in(page: Page, user: LiveUser) -> None:
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(user.password)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("button", name=f"Log out {user.username}")).to_be_visible()

    return log_in


@pytest.fixture
def live_alice(daphne_server) -> LiveUser:
    return daphne_server.create_user("alice")


@pytest.fixture
def live_alice_provider(daphne_server, live_alice, upstream) -> int:
    return daphne_server.create_provider(live_alice, upstream.base_url, name="Fake upstream")


@pytest.fixture
def alice_page(new_context, live_alice, live_alice_provider) -> Page:
    # Logged in by cookie, which is quicker; test_playground_page drives the login form.
    page = new_context(user=live_alice).new_page()
    page.goto("/")
    expect(page.get_by_role("button", name="Log out alice")).to_be_visible()
    expect(page.locator("#socket-state")).to_have_attribute("data-state", "open")
    # The model list has loaded (or said why not): no request of the page is in flight.
    expect(page.locator("#model-options-wrap .help")).to_be_visible()
    return page
