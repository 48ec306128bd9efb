import pytest

# The browser tests' live daphne server, for the tests of what `manage.py serve` runs.
from tests.browser.conftest import (  # noqa: F401
    daphne_database_template,
    daphne_server,
    daphne_server_env,
    pytest_runtest_makereport,
)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # The default hasher takes most of a second per user on a small machine.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
