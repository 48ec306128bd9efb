"""`manage.py serve`: the whole app out of the box, with its local model and task worker.

Migrates, makes the first account, starts the local model server, waits for it, starts the
background worker (playground/worker.py), then serves the app with daphne. Ctrl+C (or
SIGTERM) stops them all.
"""

import contextlib
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from playground.accounts.first_user import ensure_first_user
from playground.child_processes import stop_process
from playground.localmodel.provider import sync_local_provider
from playground.localmodel.server import LocalModelError, LocalModelServer, model_path
from playground.sockets.frames import daphne_command
from playground.startup import prepare_on_start
from playground.worker import (
    PRUNE_EVERY_SECONDS,
    Worker,
    describe,
    prune_task_results,
    worker_command,
)

# How often serve looks at its background workers, to start again one that exited.
SUPERVISE_SECONDS = 1


class Command(BaseCommand):
    help = (
        "Set up and serve the playground, with its background worker and the embedded local "
        "model unless disabled."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, host, port, **options):
        call_command("migrate", interactive=False, verbosity=0)
        prepare_on_start()
        self._announce_first_user()
        model_server = self._start_local_model() if settings.PLAYGROUND_LOCAL_MODEL else None
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        # Stopped in the reverse order: daphne, the workers, the model server.
        with contextlib.ExitStack() as running:
            if model_server:
                running.callback(model_server.stop)
            workers = self._start_workers()
            for worker in workers:
                running.callback(worker.stop)
            web = subprocess.Popen(daphne_command("-b", host, "-p", str(port)))
            running.callback(stop_process, web)
            self.stdout.write(self.style.SUCCESS(f"Completions Playground: http://{host}:{port}/"))
            try:
                self._serve(web, workers)
            except KeyboardInterrupt:
                self.stdout.write("Stopping…")
        if web.returncode not in (0, -signal.SIGTERM, -signal.SIGINT, None):
            raise CommandError(f"daphne exited with code {web.returncode}")

    def _serve(self, web: subprocess.Popen, workers: list[Worker]) -> None:
        """Until daphne exits: starts again each worker that exited, and says so; and deletes
        old finished task results, at start and once a day."""
        prune_at = time.monotonic()
        while True:
            if time.monotonic() >= prune_at:
                self._prune_task_results()
                prune_at = time.monotonic() + PRUNE_EVERY_SECONDS
            try:
                web.wait(SUPERVISE_SECONDS)
                return
            except subprocess.TimeoutExpired:
                pass
            for worker in workers:
                news = worker.supervise()
                if news:
                    self.stderr.write(news)

    def _prune_task_results(self) -> None:
        try:
            prune_task_results()
        except DatabaseError as exc:
            # The next day's try may reach it; serving goes on.
            self.stderr.write(f"Could not delete old task results: {exc}")

    def _start_workers(self) -> list[Worker]:
        command = worker_command()
        if command is None:
            backend = settings.TASKS["default"]["BACKEND"]
            self.stdout.write(f"Background tasks run at once, in the web process ({backend}).")
            return []
        if settings.PLAYGROUND_WORKERS <= 0:
            self.stdout.write(
                "No background worker started here (PLAYGROUND_WORKERS=0): tasks wait for "
                "the workers that run elsewhere."
            )
            return []
        workers = [
            Worker(command, settings.PLAYGROUND_WORKER_LOG)
            for _ in range(settings.PLAYGROUND_WORKERS)
        ]
        for worker in workers:
            worker.start()
        pids = ", ".join(str(worker.pid) for worker in workers)
        self.stdout.write(
            f"Background worker{'s' if len(workers) > 1 else ''} started ({describe(command)}; "
            f"pid {pids}); log: {settings.PLAYGROUND_WORKER_LOG}"
        )
        return workers

    def _announce_first_user(self):
        credentials = ensure_first_user()
        if credentials:
            username, password = credentials
            self.stdout.write(
                self.style.WARNING(
                    "\nCreated the first account; this password is shown only once:\n"
                    f"    username: {username}\n    password: {password}\n"
                    "Change it after logging in (Password, top right).\n"
                )
            )

    def _start_local_model(self) -> LocalModelServer:
        try:
            path = model_path()
        except LocalModelError as exc:
            raise CommandError(str(exc)) from exc
        server = LocalModelServer(
            path, settings.PLAYGROUND_LOCAL_MODEL_PORT, settings.PLAYGROUND_LOCAL_MODEL_LOG
        )
        self.stdout.write(f"Starting the local model ({path.name}); log: {server.log_path}")
        server.start()
        try:
            server.wait_until_ready()
        except (LocalModelError, KeyboardInterrupt) as exc:
            server.stop()
            raise CommandError(str(exc) or "Interrupted.") from exc
        self.stdout.write("Probing what the local model honours…")
        sync_local_provider(server.base_url)
        self.stdout.write(f"Local model ready at {server.base_url}")
        return server
