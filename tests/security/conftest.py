# The browser tests' live daphne server, for the tests of what `manage.py serve` runs.
from tests.browser.conftest import (  # noqa: F401
    daphne_database_template,
    daphne_server,
    daphne_server_env,
    pytest_runtest_makereport,
)
