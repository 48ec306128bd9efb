"""Fault: PostgreSQL restarts between two runs.

A real daphne server on a PostgreSQL database of its own. A restart, as the server sees it,
is every connection to its database ending at once, and new ones being refused for a while:
terminating the backends, and refusing connections to that one database, does both without
restarting the PostgreSQL that other tests share. The next run over the same socket, and the
next page, must work: no connection may be held across the restart and reused stale.
Runs only when DATABASE_URL is PostgreSQL (the scale-out pass of `make test`).
"""

import contextlib
import os
import urllib.request

import psycopg
import pytest
from psycopg import sql

from tests.support.live_client import (
    cookie_header,
    open_socket,
    receive_until,
    run_message,
    stored_run,
)
from tests.support.live_daphne import LiveDaphne, PostgresDatabase, _is_postgres

from ..fake_upstream import SSE, token_stream

pytestmark = pytest.mark.skipif(
    not _is_postgres(os.environ.get("DATABASE_URL", "")),
    reason="needs DATABASE_URL on PostgreSQL",
)

DATABASE_DOWN = (
    "The database cannot be reached right now, so the run was not started. Try again in a moment."
)


def _conninfo(database: PostgresDatabase, name: str) -> str:
    return database.url.replace("postgres://", "postgresql://", 1).rsplit("/", 1)[0] + "/" + name


def restart_postgres_for(database: PostgresDatabase) -> int:
    """Ends every connection to the database, as a restart would; returns how many."""
    with psycopg.connect(_conninfo(database, "postgres"), autocommit=True) as admin:
        ended = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            [database.name],
        ).fetchall()
    return len(ended)


@contextlib.contextmanager
def postgres_down_for(database: PostgresDatabase):
    """The database has no connection and refuses new ones, as while PostgreSQL restarts."""
    name = sql.Identifier(database.name)
    with psycopg.connect(_conninfo(database, "postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(name))
        try:
            restart_postgres_for(database)
            yield
        finally:
            admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(name))


def run_once(server, socket, provider: int, prompt: str) -> dict:
    socket.send(run_message(provider, prompt))
    finished = receive_until(socket, "run.finished")[-1]
    assert (finished["status"], finished["error"]) == ("completed", "")
    return stored_run(server, finished["run"])


def page_status(server, user, path: str) -> int:
    headers = {"Cookie": cookie_header(server, user)}
    request = urllib.request.Request(server.url + path, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as reply:
        return reply.status


@pytest.fixture
def persistent_server(daphne_database_template, tmp_path):
    """A live server that keeps its database connections open between requests."""
    data_dir = tmp_path / "server"
    data_dir.mkdir()
    database = daphne_database_template.clone(data_dir)
    env = {"DATABASE_URL": f"{database.url}?conn_max_age=600"}
    server = LiveDaphne(database, data_dir, env=env)
    try:
        yield server.start()
    finally:
        server.close()
        database.drop()


def test_the_next_run_and_page_work_after_a_restart(daphne_server, live_alice, live_alice_provider):
    with open_socket(daphne_server, live_alice) as socket:
        run_once(daphne_server, socket, live_alice_provider, "before")
        restart_postgres_for(daphne_server.database)

        after = run_once(daphne_server, socket, live_alice_provider, "after")

        assert (after["status"], after["text"]) == ("completed", "Hello, world")
    assert page_status(daphne_server, live_alice, "/") == 200


def test_persistent_connections_are_checked_after_a_restart(persistent_server, upstream):
    server = persistent_server
    alice = server.create_user("alice")
    provider = server.create_provider(alice, upstream.base_url)
    with open_socket(server, alice) as socket:
        run_once(server, socket, provider, "before")
        assert page_status(server, alice, "/") == 200
        # The server held connections open: the restart ends them under its feet.
        assert restart_postgres_for(server.database) > 0

        after = run_once(server, socket, provider, "after")

        assert (after["status"], after["text"]) == ("completed", "Hello, world")
    assert page_status(server, alice, "/") == 200


def test_a_run_sent_while_postgres_is_down_is_refused_and_the_socket_goes_on(
    daphne_server, live_alice, live_alice_provider
):
    with open_socket(daphne_server, live_alice) as socket:
        run_once(daphne_server, socket, live_alice_provider, "before")
        with postgres_down_for(daphne_server.database):
            socket.send(run_message(live_alice_provider, "during"))

            assert receive_until(socket, "error")[-1]["error"] == DATABASE_DOWN

        after = run_once(daphne_server, socket, live_alice_provider, "after")

        assert (after["status"], after["text"]) == ("completed", "Hello, world")


def test_a_run_that_ends_while_postgres_is_down_says_so_and_the_socket_goes_on(
    daphne_server, live_alice, live_alice_provider, upstream
):
    # A first token, then a pause long enough to take the database away before the end.
    upstream.script(SSE(token_stream(["kept"]), stall=5))
    with open_socket(daphne_server, live_alice) as socket:
        socket.send(run_message(live_alice_provider, "during"))
        receive_until(socket, "delta")
        with postgres_down_for(daphne_server.database):
            finished = receive_until(socket, "run.finished")[-1]

            assert finished["saved"] is False
            assert finished["error"].startswith("The database could not be reached")

        upstream.script(SSE(token_stream(["Hello", ", world"])))
        after = run_once(daphne_server, socket, live_alice_provider, "after")

        assert (after["status"], after["text"]) == ("completed", "Hello, world")
