"""The secrets audit (tests/secrets_audit.py) fails a session in which a key leaked."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess

REPO = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("leak_probe.py")


def run_probe(directory: Path, *options: str) -> subprocess.CompletedProcess:
    env = {
        name: value
        for name, value in os.environ.items()
        # SQLite and the in-memory layer: the outer session owns the PostgreSQL test database.
        if name not in ("DATABASE_URL", "REDIS_URL") and not name.startswith("PYTEST_")
    }
    env["PLAYGROUND_DATA_DIR"] = str(directory / "data")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    return subprocess.run(
        [*command, *options, "--basetemp", str(directory / "basetemp"), str(PROBE)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


# `make test-fast` runs the suite on pytest-xdist workers: what each finds must reach the end.
@pytest.mark.parametrize("options", [[], ["-n", "2"]], ids=["in_one_process", "on_two_workers"])
def test_a_leaked_key_fails_the_session_whose_tests_all_pass(options):
    # Outside this session's temporary directory, whose files this session's audit reads.
    with tempfile.TemporaryDirectory() as directory:
        result = run_probe(Path(directory), *options)

    output = result.stdout + result.stderr
    assert "6 passed" in output, output
    assert result.returncode == 1, output
    assert "API keys leaked" in output
    for where in [
        "in HTTP GET /sessions/ body (test tests/security/leak_probe.py::test_a_key_in_a_page)",
        "'plain-probe-key-0123456789' in HTTP GET /sessions/ body",
        "'plain-probe-organization-0123456789' in HTTP GET /sessions/ body",
        "in ASGI websocket.send on /ws/watch/",
        "in log record of playground.probe",
        "server.log (test (files left by the suite))",
    ]:
        assert where in output, output
