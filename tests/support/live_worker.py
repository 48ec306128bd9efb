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


def start_dataset_run(
    server: LiveDaphne,
    owner,
    provider: int,
    rows: int,
    prompt: str = "Row {{n}}:",
    max_concurrency: int = 4,
    max_tokens: int = 8,
    parameters: dict | None = None,
) -> int:
    """A dataset of `rows` rows (a column n: 0, 1, …, and expected), a session of owner's
    whose prompt uses it, and a dataset run of the one over the other, started as the page
    starts it (its work queued on the server's task backend); the run's id. parameters: more
    of the session's, as its form keeps them."""
    return server.django(
        """
        from django.contrib.auth import get_user_model
        from playground.datasetruns import lifecycle
        from playground.providers.models import Provider
        from tests.factories import make_dataset, make_session
        owner = get_user_model().objects.get(pk=params["owner"])
        provider = Provider.objects.get(pk=params["provider"])
        provider.max_concurrency = params["max_concurrency"]
        provider.save()
        rows = [{"n": str(i), "expected": f"answer {i}"} for i in range(params["rows"])]
        dataset = make_dataset(owner, name="Numbers", columns=("n", "expected"), rows=rows)
        session = make_session(
            owner, provider=provider, prompt=params["prompt"],
            parameters={"max_tokens": str(params["max_tokens"]), **params["parameters"]},
        )
        outcome = lifecycle.start(owner, dataset, session)
        assert outcome.run is not None, outcome.error
        result = outcome.run.pk
        """,
        owner=owner.pk,
        provider=provider,
        rows=rows,
        prompt=prompt,
        max_concurrency=max_concurrency,
        max_tokens=max_tokens,
        parameters=parameters or {},
    )


def dataset_run_state(server: LiveDaphne, run_id: int) -> dict:
    """The run's status, and how many of its results are in each status."""
    return server.django(
        """
        from django.db.models import Count
        from playground.datasets.models import DatasetRun
        run = DatasetRun.objects.get(pk=params["run"])
        counts = run.results.values("status").annotate(n=Count("pk"))
        result = {"status": run.status, **{c["status"]: c["n"] for c in counts}}
        """,
        run=run_id,
    )


def wait_for_dataset_run(
    server: LiveDaphne, run_id: int, until, log: Path | None = None, timeout: float = TASK_TIMEOUT
) -> dict:
    """The run's state (dataset_run_state) once until(state) holds."""
    deadline = time.monotonic() + timeout
    state: dict = {}
    while time.monotonic() < deadline:
        state = dataset_run_state(server, run_id)
        if until(state):
            return state
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-4000:] if log and log.exists() else ""
    raise AssertionError(f"Dataset run {run_id} still {state} after {timeout} s:\n{tail}")
