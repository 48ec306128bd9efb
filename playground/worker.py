"""The background task workers that `manage.py serve` runs beside daphne, as child processes.

Which command runs the queue follows the task backend settings.py chose: django-tasks-db's
`db_worker` for the database (the embedded default), django-rq's `rqworker` for Redis
(REDIS_URL). More of either may run on other machines; serve starts PLAYGROUND_WORKERS here.

A worker that exits is started again, since a task queued meanwhile would otherwise wait for
ever: a second later if it had been running a while, else after a pause that doubles each time
it exits soon after starting (a database it cannot reach, a broken setting), so that it never
spins. Each exit is reported with the end of its log.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from playground.child_processes import die_with_parent

# A worker that ran this long before it exited had been working: start it again at once.
STEADY_SECONDS = 60
# Else wait this long before starting it again, twice as long after each such exit, at most
# MAX_RESTART_DELAY.
FIRST_RESTART_DELAY = 1.0
MAX_RESTART_DELAY = 60.0
# On stop, a worker may finish the task in hand for this long. Then a second SIGTERM, which
# db_worker and rqworker both take as "stop now": the task is recorded as failed, rather
# than left marked as running for ever by a SIGKILL, which comes last.
GRACEFUL_STOP_SECONDS = 10
FORCED_STOP_SECONDS = 5


def worker_command() -> list[str] | None:
    """The command that runs the default task backend's queues; None if it needs no worker."""
    backend = settings.TASKS["default"]
    queues = backend.get("QUEUES") or ["default"]
    django = [sys.executable, "-m", "django"]
    if backend["BACKEND"] == "django_tasks_db.DatabaseBackend":
        # Without the autoreloader that DEBUG turns on: a reload would cut a task short.
        return [*django, "db_worker", "--no-reload", "--queue-name", ",".join(queues)]
    if backend["BACKEND"] == "django_tasks_rq.RQBackend":
        # django-tasks-rq's Job class runs a django.tasks Task; the scheduler runs the tasks
        # enqueued for later (run_after), which the database backend does by itself.
        rq_options = ["--job-class", "django_tasks_rq.Job", "--with-scheduler"]
        return [*django, "rqworker", *rq_options, *queues]
    return None


# How often serve deletes the database backend's old finished task results.
PRUNE_EVERY_SECONDS = 24 * 3600


def prune_task_results() -> None:
    """Deletes the finished task results older than PLAYGROUND_TASK_RESULTS_KEEP_DAYS, on
    the database backend, which keeps a row for every task it ran: each time slice of a
    dataset run, each watch of one, each probe. RQ's results expire by themselves."""
    if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
        return
    call_command(
        "prune_db_task_results",
        queue_name="*",
        min_age_days=settings.PLAYGROUND_TASK_RESULTS_KEEP_DAYS,
        verbosity=0,
    )


def describe(command: list[str]) -> str:
    """The worker command in words, for serve's start-up lines."""
    if "db_worker" in command:
        return "db_worker, on the tasks queued in the database"
    return "rqworker, on the tasks queued in Redis"


class Worker:
    """One worker process, started again whenever it exits (see the module's docstring)."""

    def __init__(self, command: list[str], log_path: Path):
        self.command = command
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0
        self.restart_at: float | None = None
        self.next_restart_delay = FIRST_RESTART_DELAY

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"\n--- starting: {' '.join(self.command)}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                self.command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=die_with_parent,
                env={
                    **os.environ,
                    "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE,
                    "PYTHONUNBUFFERED": "1",
                },
            )
        self.started_at = time.monotonic()
        self.restart_at = None

    def supervise(self) -> str | None:
        """Notices an exit and starts the worker again when its pause is over; says so."""
        now = time.monotonic()
        if self.restart_at is not None:
            if now < self.restart_at:
                return None
            self.start()
            return f"Background worker started again (pid {self.pid})."
        if self.process is None or self.process.poll() is None:
            return None
        code, ran = self.process.returncode, now - self.started_at
        delay = FIRST_RESTART_DELAY if ran >= STEADY_SECONDS else self.next_restart_delay
        self.next_restart_delay = min(delay * 2, MAX_RESTART_DELAY)
        self.restart_at = now + delay
        return (
            f"The background worker (pid {self.process.pid}) exited with code {code} after "
            f"{ran:.0f} s; starting it again in {delay:g} s. The end of {self.log_path}:\n"
            f"{self.log_tail()}"
        )

    def stop(self) -> None:
        process = self.process
        self.restart_at = None
        if process is None or process.poll() is not None:
            return
        for sig, wait in (
            (signal.SIGTERM, GRACEFUL_STOP_SECONDS),
            (signal.SIGTERM, FORCED_STOP_SECONDS),
            (signal.SIGKILL, None),
        ):
            process.send_signal(sig)
            try:
                process.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
