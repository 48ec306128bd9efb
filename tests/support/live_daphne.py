"""A real daphne server in a subprocess, on a database of its own, for the browser and fault
tests (tests/support/live_server.py gives them fixtures) and the benchmark (bench/), which
imports it without setting Django up: only daphne's command line reads the settings.

The server's database is a fresh PostgreSQL database when DATABASE_URL points at
PostgreSQL, else a SQLite file. It is cloned from a template migrated once per test
session, so each server starts on an empty, migrated database in a fraction of a second.

Tests reach that database through LiveDaphne.django(), which runs a snippet of Django
code in a helper subprocess with the server's environment (same database, same secret key),
so the test process's own Django setup never touches it. The helper is set up once per
server, alongside daphne, and answers each snippet in milliseconds.
"""

import contextlib
import ctypes
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from playground.sockets.frames import daphne_command

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
START_TIMEOUT = 30
STOP_TIMEOUT = 5


def die_with_parent():
    # Linux: a server whose pytest was killed gets SIGTERM too, rather than living on.
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unique_name(prefix: str) -> str:
    return f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"


def _is_postgres(url: str) -> bool:
    return urlsplit(url).scheme in ("postgres", "postgresql", "pgsql", "psql")


class SQLiteDatabase:
    def __init__(self, path: Path):
        self.path = path

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def clone(self, directory: Path) -> "SQLiteDatabase":
        # migrate has closed its connection, so the WAL is checkpointed; copy any leftovers.
        target = directory / self.path.name
        for suffix in ("", "-wal", "-shm"):
            source = self.path.with_name(self.path.name + suffix)
            if source.exists():
                shutil.copyfile(source, target.with_name(target.name + suffix))
        return SQLiteDatabase(target)

    def drop(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)


class PostgresDatabase:
    def __init__(self, server_url: str, name: str):
        self.server_url = server_url
        self.name = name

    @property
    def url(self) -> str:
        parts = urlsplit(self.server_url)
        return urlunsplit(parts._replace(path=f"/{self.name}"))

    def _admin(self):
        import psycopg

        # Connect to the maintenance database: a database cannot create or drop itself.
        parts = urlsplit(self.server_url)
        conninfo = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
        return psycopg.connect(conninfo, autocommit=True)

    @classmethod
    def create(cls, server_url: str, name: str, template: str | None = None):
        from psycopg import sql

        database = cls(server_url, name)
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with database._admin() as connection:
            connection.execute(statement)
        return database

    def clone(self, directory: Path) -> "PostgresDatabase":
        return PostgresDatabase.create(
            self.server_url, unique_name("playground_browser"), template=self.name
        )

    def drop(self) -> None:
        from psycopg import sql

        # FORCE ends the sessions of a server that was killed rather than stopped.
        statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(self.name)
        )
        with self._admin() as connection:
            connection.execute(statement)


def create_template_database(directory: Path) -> SQLiteDatabase | PostgresDatabase:
    """An empty database for the server, migrated: on PostgreSQL if DATABASE_URL says so."""
    database_url = os.environ.get("DATABASE_URL", "")
    if _is_postgres(database_url):
        database = PostgresDatabase.create(database_url, unique_name("playground_browser_tmpl"))
    else:
        database = SQLiteDatabase(directory / "playground.sqlite3")
    migrate_database(database, directory)
    return database


def migrate_database(database, directory: Path) -> None:
    """Migrates a new database as its server would; drops it if that fails."""
    try:
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=REPO,
            env=server_environment(database.url, directory),
            check=True,
            capture_output=True,
            text=True,
        )
    except subprocess.CalledProcessError as exc:
        database.drop()
        raise RuntimeError(f"migrate failed for a live server's database:\n{exc.stderr}") from exc
    except BaseException:
        database.drop()
        raise


def server_environment(
    database_url: str, data_dir: Path, overrides: dict[str, str] | None = None
) -> dict[str, str]:
    """The server's environment: the test run's, pointed at its own database and data dir."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="playground.settings",
        DATABASE_URL=database_url,
        PLAYGROUND_DATA_DIR=str(data_dir),
        DEBUG="true",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        # Set here, so the server and the django() helper share it (encrypted API keys).
        SECRET_KEY=secrets.token_urlsafe(50),
        # Whatever the developer's shell holds must not add a shared provider.
        OPENAI_API_KEY="",
        OPENAI_BASE_URL="",
        # No embedded local model unless a test asks for it (overrides).
        PLAYGROUND_LOCAL_MODEL="off",
        # The fake upstream is on loopback, and the tests' providers are ordinary users'.
        PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS="true",
        # The fake upstream is on loopback: never send it through a proxy.
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
    )
    if not os.environ.get("REDIS_URL"):
        env.pop("REDIS_URL", None)
    env.update(overrides or {})
    return env


# The helper: for each line {"code", "params"} on stdin, runs the code and answers one line,
# {"result": ...} (the code's `result` variable) or {"error": traceback}.
_HELPER = """
import json, os, sys, traceback
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
import django
django.setup()
from django.db import connections
replies, sys.stdout = sys.stdout, sys.stderr
for line in sys.stdin:
    request = json.loads(line)
    namespace = {"params": request["params"], "result": None}
    try:
        exec(compile(request["code"], "<live_daphne.django>", "exec"), namespace)
        reply = {"result": namespace["result"]}
    except Exception:
        reply = {"error": traceback.format_exc()}
    finally:
        connections.close_all()
    replies.write(json.dumps(reply, default=str) + "\\n")
    replies.flush()
"""


# Password hashing is slow on purpose: each password is hashed once per test session.
_password_hashes: dict[str, str] = {}


@dataclass
class LiveUser:
    pk: int
    username: str
    password: str


class LiveDaphne:
    """One daphne process serving playground.asgi on a fixed port; restartable on the same DB.

    daphne runs with the options `manage.py serve` gives it.
    """

    def __init__(self, database, data_dir: Path, port: int | None = None, env: dict | None = None):
        """database: from create_template_database().clone(); env: extra environment."""
        self.database = database
        self.data_dir = data_dir
        self.port = port or free_port()
        self.env = server_environment(database.url, data_dir, env)
        self.log_path = data_dir / "daphne.log"
        self.process: subprocess.Popen | None = None
        self._helper: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> "LiveDaphne":
        assert not self.is_running, "daphne is already running"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                daphne_command("-b", "127.0.0.1", "-p", str(self.port)),
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                # Its own process group, so stop() and kill() reach every child too.
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        # Django sets itself up in the helper while daphne starts.
        self._start_helper()
        self._wait_until_answering()
        return self

    def _wait_until_answering(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited at start:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/accounts/login/", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"daphne did not answer within {START_TIMEOUT}s:\n{self.log_tail()}")

    def _signal(self, sig) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def stop(self) -> None:
        """Stops daphne the way a service manager does: SIGTERM, then SIGKILL if it lingers.

        It can linger: a sync view caught inside async_to_sync (the model list) when the
        event loop stops never returns, and Python waits for its thread at exit.
        """
        if self.process is None:
            return
        if self.process.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.process.wait()
        # Children that outlived daphne would hold the port.
        self._signal(signal.SIGKILL)

    def kill(self) -> None:
        """Kills daphne at once, like a crash: runs in flight get no chance to save."""
        if self.process is None:
            return
        self._signal(signal.SIGKILL)
        self.process.wait()

    def pause(self) -> None:
        """Freezes daphne (SIGSTOP), like a hung server: its sockets stay open, silent."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    def close(self) -> None:
        """Ends daphne and the helper at the end of a test (no need to be graceful then)."""
        self.kill()
        if self._helper is not None:
            self._helper.stdin.close()
            try:
                self._helper.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._helper.kill()
                self._helper.wait()
            self._helper.stdout.close()
            self._helper = None

    def restart(self, kill: bool = False) -> "LiveDaphne":
        """A new daphne on the same port, database and data dir (so sessions stay valid)."""
        self.kill() if kill else self.stop()
        return self.start()

    def log_tail(self, lines: int = 60) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    # --- The server's database, from the test process ----------------------------------

    def _start_helper(self) -> None:
        if self._helper is not None and self._helper.poll() is None:
            return
        with (self.data_dir / "helper.log").open("ab") as log:
            self._helper = subprocess.Popen(
                [PYTHON, "-c", _HELPER],
                cwd=REPO,
                env=self.env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                start_new_session=True,
            )

    def django(self, code: str, **params):
        """Runs Django code against the server's database; returns its `result` variable.

        The code sees `params` (the keyword arguments, JSON-encoded) and sets `result` to
        something JSON can encode. Works while daphne is stopped too.

            stopped = server.django('''
                from playground.runs.models import Run
                result = Run.objects.filter(status=params["status"]).count()
            ''', status="stopped")
        """
        self._start_helper()
        request = {"code": textwrap.dedent(code), "params": params}
        self._helper.stdin.write(json.dumps(request) + "\n")
        self._helper.stdin.flush()
        line = self._helper.stdout.readline()
        if not line:
            log = (self.data_dir / "helper.log").read_text(errors="replace")
            raise RuntimeError(f"The Django helper exited:\n{log[-4000:]}")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"Django code failed in the server's database:\n{reply['error']}")
        return reply["result"]

    def _password_hash(self, password: str) -> str:
        if password not in _password_hashes:
            _password_hashes[password] = self.django(
                "from django.contrib.auth.hashers import make_password\n"
                "result = make_password(params['password'])",
                password=password,
            )
        return _password_hashes[password]

    def create_user(self, username: str, password: str | None = None, **extra) -> LiveUser:
        """A user who can log in with password (the suite's PASSWORD unless given); extra sets
        fields such as is_staff."""
        if password is None:
            # Imported here: tests.factories needs Django's app registry, which the
            # benchmark does without.
            from tests.factories import PASSWORD

            password = PASSWORD
        pk = self.django(
            """
            from django.contrib.auth import get_user_model
            user = get_user_model()(
                username=params["username"], email=params["username"] + "@example.com",
                password=params["password_hash"], **params["extra"],
            )
            user.save()
            result = user.pk
            """,
            username=username,
            password_hash=self._password_hash(password),
            extra=extra,
        )
        return LiveUser(pk, username, password)

    def session_cookie(self, user: LiveUser) -> dict:
        """A logged-in session of user's, as a cookie for BrowserContext.add_cookies()."""
        name, value = self.django(
            """
            from django.conf import settings
            from django.contrib.auth import get_user_model
            from django.test import Client
            client = Client()
            client.force_login(get_user_model().objects.get(pk=params["user"]))
            name = settings.SESSION_COOKIE_NAME
            result = [name, client.cookies[name].value]
            """,
            user=user.pk,
        )
        return {"name": name, "value": value, "url": self.url}

    def create_provider(self, owner: LiveUser | None, base_url: str, **fields) -> int:
        """A provider (tests.factories.make_provider) of owner's, or a shared one for None."""
        return self.django(
            """
            from django.contrib.auth import get_user_model
            from tests.factories import make_provider
            owner = params["owner"] and get_user_model().objects.get(pk=params["owner"])
            result = make_provider(owner=owner, base_url=params["base_url"], **params["fields"]).pk
            """,
            owner=owner.pk if owner else None,
            base_url=base_url,
            fields=fields,
        )

    def create_run(self, owner: LiveUser, provider: int | None = None, **fields) -> int:
        """A stored run (tests.factories.make_run); fields are Run fields, JSON values."""
        return self.django(
            """
            from django.contrib.auth import get_user_model
            from playground.providers.models import Provider
            from tests.factories import make_run
            owner = get_user_model().objects.get(pk=params["owner"])
            provider = params["provider"] and Provider.objects.get(pk=params["provider"])
            result = make_run(owner, provider or None, **params["fields"]).pk
            """,
            owner=owner.pk,
            provider=provider,
            fields=fields,
        )

    def run_rows(self, owner: LiveUser) -> list[dict]:
        """The owner's stored runs, newest first, as dicts of their fields."""
        return self.django(
            """
            from playground.runs.models import Run
            result = list(Run.objects.filter(owner_id=params["owner"]).values())
            """,
            owner=owner.pk,
        )
