"""Each log line is written once, with DEBUG on (make run's default) or off: Django's own
console handler on the "django" logger would write its records (a task's state, in the
worker's log) a second time, besides the root's."""

import subprocess
import sys

import pytest

pytestmark = pytest.mark.subprocess

SCRIPT = """
import logging
import django
django.setup()
logging.getLogger("django.tasks").info("Task id=1 path=x state=RUNNING")
logging.getLogger("playground.datasetruns").info("a playground line")
logging.getLogger("django.request").error("a request error")
"""


@pytest.mark.parametrize("debug", ["true", "false"])
def test_a_log_record_is_written_once(debug, tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "playground.settings",
        "DEBUG": debug,
        "SECRET_KEY": "x" * 50,
        "PLAYGROUND_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "ALLOWED_HOSTS": "localhost",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert lines.count("Task id=1 path=x state=RUNNING") == 1
    assert lines.count("a playground line") == 1
    assert lines.count("a request error") == 1
