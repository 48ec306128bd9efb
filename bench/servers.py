"""The processes a benchmark runs against: the paced upstream and daphne servers.

daphne is started exactly as the browser tests start it (tests/support/live_daphne.py), on
a database of its own (a SQLite clone of one migrated template, or a fresh PostgreSQL
database that is dropped at the end), and reached from here through its Django helper.
"""

import contextlib
import json
import os
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.support.live_daphne import (
    LiveDaphne,
    PostgresDatabase,
    SQLiteDatabase,
    die_with_parent,
    migrate_database,
    unique_name,
)

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
START_TIMEOUT = 30


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Upstream:
    """The paced upstream (upstream.py) in a subprocess of its own, on a free loopback port."""

    def __init__(self):
        self.process: subprocess.Popen | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> "Upstream":
        self.process = subprocess.Popen(
            [PYTHON, "-m", "bench.upstream"],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"The paced upstream did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid)

    def stats(self) -> dict:
        """How many connections and streams the upstream has served so far."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/stats", timeout=5) as reply:
            return json.loads(reply.read())

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()
        self.process = None


_SETUP = """
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from playground.providers.models import AuthStyle, Provider

user = get_user_model().objects.create(
    username=params["username"], email=params["username"] + "@example.com"
)
user.set_unusable_password()
user.save()
provider = Provider.objects.create(
    owner=user, name="Paced upstream", base_url=params["base_url"],
    auth_style=AuthStyle.BEARER, api_key="sk-bench-not-a-real-key", default_model="bench",
)
client = Client()
client.force_login(user)
name = settings.SESSION_COOKIE_NAME
result = {"user": user.pk, "provider": provider.pk, "cookie": [name, client.cookies[name].value]}
"""

_SHARED_SESSION = """
from playground.sessions.models import PlaygroundSession
from playground.sharing.models import SessionShare, new_token
session = PlaygroundSession.objects.create(owner_id=params["owner"], title="Live benchmark")
share = SessionShare.objects.create(session=session, visibility="link", token=new_token())
result = [session.pk, share.token]
"""

_RUN_ROWS = """
from playground.runs.models import Run
result = list(Run.objects.filter(pk__in=params["ids"]).values("pk", "status", "choices", "error"))
"""


@dataclass
class Account:
    user: int
    provider: int
    cookie: tuple[str, str]


class Server:
    """One daphne process on its own database, with accounts of its own."""

    def __init__(self, live, database, name: str):
        self.live = live
        self.database = database
        self.name = name

    @property
    def pid(self) -> int:
        return self.live.process.pid

    def ws_url(self, path: str) -> str:
        return self.live.url.replace("http://", "ws://") + path

    def headers(self, account: Account) -> dict:
        name, value = account.cookie
        return {"Cookie": f"{name}={value}", "Origin": self.live.url}

    def account(self, username: str, upstream_base_url: str) -> Account:
        reply = self.live.django(_SETUP, username=username, base_url=upstream_base_url)
        return Account(reply["user"], reply["provider"], tuple(reply["cookie"]))

    def shared_session(self, account: Account) -> tuple[int, str]:
        session, token = self.live.django(_SHARED_SESSION, owner=account.user)
        return session, token

    def run_rows(self, run_ids: list[int]) -> list[dict]:
        return self.live.django(_RUN_ROWS, ids=run_ids)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def rss_kib(self) -> int:
        """The daphne process's resident memory."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("No VmRSS in /proc: the benchmark needs Linux.")

    def log(self) -> str:
        path = self.live.log_path
        return path.read_text(errors="replace") if path.exists() else ""

    def restart(self) -> None:
        self.live.restart()

    def close(self) -> None:
        try:
            self.live.close()
        finally:
            self.database.drop()


class Servers:
    """Starts daphne servers on fresh databases, and stops them all at the end."""

    def __init__(self, workdir: Path, postgres_url: str):
        self.workdir = workdir
        self.postgres_url = postgres_url
        self._sqlite_template = None
        self._started: list[Server] = []

    def _database(self, kind: str, directory: Path):
        if kind == "postgres":
            name = unique_name("playground_bench")
            database = PostgresDatabase.create(self.postgres_url, name)
            migrate_database(database, directory)
            return database
        if self._sqlite_template is None:
            template_dir = self.workdir / "sqlite-template"
            template_dir.mkdir()
            template = SQLiteDatabase(template_dir / "playground.sqlite3")
            migrate_database(template, template_dir)
            self._sqlite_template = template
        return self._sqlite_template.clone(directory)

    def start(self, name: str, kind: str = "sqlite", env: dict | None = None) -> Server:
        """A daphne on a fresh database of kind ("sqlite" or "postgres").

        env: its extra environment. REDIS_URL is only set when env says so: otherwise the
        server uses the in-memory channel layer, whatever the shell holds.
        """
        directory = self.workdir / name
        directory.mkdir()
        database = self._database(kind, directory)
        overrides = {
            "DEBUG": "false",
            # Production settings, but on plain http over loopback: no redirect to https.
            "SECURE_SSL_REDIRECT": "false",
            # One account drives every concurrent stream the figures measure.
            "PLAYGROUND_MAX_CONCURRENT_RUNS": "0",
            "PLAYGROUND_RUNS_PER_MINUTE": "0",
            **(env or {}),
        }
        live = LiveDaphne(database, directory, env=overrides)
        if "REDIS_URL" not in overrides:
            live.env.pop("REDIS_URL", None)
        server = Server(live, database, name)
        self._started.append(server)
        live.start()
        return server

    def close(self) -> None:
        for server in reversed(self._started):
            with contextlib.suppress(Exception):
                server.close()
        self._started.clear()
        if self._sqlite_template is not None:
            self._sqlite_template.drop()
