"""`manage.py serve` runs a background worker beside daphne, starts it again when it dies,
and stops it with the rest.

serve in a subprocess, on a fresh database (stopped_server, tests/support/live_server.py),
without the local model; the test queues provider probes through django.tasks and waits for
the worker to run them.
"""

import os
import re
import signal
import sys
import time
from pathlib import Path

import pytest

from .providers.fake_provider import OPENAI, openai_like
from .support.live_worker import group_is_gone, queue_probe, running, wait_for_task

pytestmark = pytest.mark.subprocess

OUTPUT_TIMEOUT = 60


def wait_for_line(path: Path, text: str) -> str:
    """The first line of serve's output that holds text, once it is there."""
    deadline = time.monotonic() + OUTPUT_TIMEOUT
    while time.monotonic() < deadline:
        for line in path.read_text(errors="replace").splitlines():
            if text in line:
                return line
        time.sleep(0.2)
    raise AssertionError(f"No {text!r} in serve's output:\n{path.read_text(errors='replace')}")


def test_serve_runs_a_worker_starts_it_again_when_it_dies_and_stops_it(
    stopped_server, upstream, tmp_path
):
    upstream.respond_with(openai_like(OPENAI))
    # The embedded default, whatever the test run has: the database queue and db_worker.
    server = stopped_server(REDIS_URL="")
    provider = server.create_provider(server.create_user("alice"), upstream.base_url)
    output = tmp_path / "serve.out"
    serve = [
        sys.executable,
        "manage.py",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(server.port),
    ]

    with running(serve, server, output) as process:
        started = wait_for_line(output, "Background worker started")
        wait_for_line(output, f"Completions Playground: {server.url}/")
        assert "db_worker" in started
        assert f"log: {server.data_dir / 'worker.log'}" in started
        assert wait_for_task(server, queue_probe(server, provider)) == "SUCCESSFUL"

        worker = int(re.search(r"pid (\d+)", started)[1])
        os.kill(worker, signal.SIGKILL)
        wait_for_line(output, f"The background worker (pid {worker}) exited with code -9")
        wait_for_line(output, "Background worker started again")
        assert wait_for_task(server, queue_probe(server, provider)) == "SUCCESSFUL"

        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
        # Neither daphne nor the worker outlived serve.
        assert group_is_gone(process.pid)
