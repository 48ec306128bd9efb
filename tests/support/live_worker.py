"""Background workers in subprocesses, for tests/test_worker.py and tests/test_serve.py.

A worker works on the database of a LiveDaphne (tests/support/live_daphne.py), with its
environment; the test queues tasks and reads their results through that server's django()
helper, in the server's settings (the task backend included), whether daphne runs or not.
"""

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from .live_daphne import REPO, LiveDaphne, die_with_parent

# How long a queued probe may take to be picked up and run, on a busy machine.
TASK_TIMEOUT = 90
STOP_TIMEOUT = 10


def queue_probe(server: LiveDaphne, provider: int, model: str = "fake-model") -> str:
    """Marks the provider as queued for a probe, as adding it does, and queues the probe
    through django.tasks (the server's backend); the task's id."""
    return server.django(
        """
        from django.utils import timezone
        from playground.providers.models import Provider
        from playground.providers.tasks import probe_provider
        queued_at = timezone.now()
        Provider.objects.filter(pk=params["provider"]).update(probe_queued_at=queued_at)
        task = probe_provider.enqueue(params["provider"], params["model"], queued_at.isoformat())
        result = task.id
        """,
        provider=provider,
        model=model,
    )


def task_status(server: LiveDaphne, task_id: str) -> str:
    return server.django(
        """
        from playground.providers.tasks import probe_provider
        result = probe_provider.get_result(params["id"]).status.name
        """,
        id=task_id,
    )


def wait_for_task(server: LiveDaphne, task_id: str, log: Path | None = None) -> str:
    """The task's status once it is SUCCESSFUL or FAILED."""
    deadline = time.monotonic() + TASK_TIMEOUT
    while time.monotonic() < deadline:
        status = task_status(server, task_id)
        if status in ("SUCCESSFUL", "FAILED"):
            return status
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-4000:] if log and log.exists() else ""
    raise AssertionError(f"Task {task_id} still {status} after {TASK_TIMEOUT} s:\n{tail}")


def worker_command(server: LiveDaphne) -> list[str]:
    """The command `manage.py serve` would start in the server's settings (playground/worker.py)."""
    return server.django("from playground.worker import worker_command\nresult = worker_command()")


@contextlib.contextmanager
def running(command: list[str], server: LiveDaphne, log_path: Path):
    """Runs command in the server's environment, in a process group of its own, for the
    block; then stops the group (SIGTERM, SIGKILL if it lingers)."""
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env=server.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
    try:
        yield process
    finally:
        stop_group(process)


def stop_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(STOP_TIMEOUT)
    # Whatever is left of the group (rqworker's work horse, a lingering leader).
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def group_is_gone(pid: int) -> bool:
    """Whether no process is left in the group that pid leads."""
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return True
    return False
