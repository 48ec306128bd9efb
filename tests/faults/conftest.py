"""Fixtures for the fault tests: the browser tests' live daphne server, Chromium and pages.

They are the same fixtures as in tests/browser/conftest.py (see its docstring), imported
here so that a fault test can kill, restart or starve a real server the way those tests do.
"""

from tests.browser.conftest import (  # noqa: F401
    alice_page,
    browser,
    daphne_database_template,
    daphne_server,
    daphne_server_env,
    live_alice,
    live_alice_provider,
    new_context,
    page,
    pytest_runtest_makereport,
)
