"""Fault: a server starts with another SECRET_KEY (and no PLAYGROUND_ENCRYPTION_KEY).

The secrets stored by the server before it were encrypted with a key derived from the old
SECRET_KEY. The new server must still start and answer every page: the shared provider
made from OPENAI_API_KEY is stored anew from the environment, and a provider whose
secrets it cannot read says so on its form and in the runs that use it, sending nothing.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.support.live_client import cookie_header, open_socket, receive_until, run_message
from tests.support.live_daphne import REPO, LiveDaphne, create_template_database, free_port

from ..factories import fake_api_key

ENV_KEY = fake_api_key("env")
UNREADABLE = "cannot be decrypted with the current encryption key"


@pytest.fixture
def database(tmp_path):
    template = create_template_database(tmp_path / "template")
    database = template.clone(tmp_path)
    yield database
    database.drop()
    template.drop()


def server_on(database, directory, upstream, secret_key) -> LiveDaphne:
    directory.mkdir()
    return LiveDaphne(
        database,
        directory,
        env={
            "SECRET_KEY": secret_key,
            "PLAYGROUND_ENCRYPTION_KEY": "",
            "OPENAI_API_KEY": ENV_KEY,
            "OPENAI_BASE_URL": upstream.base_url,
        },
    )


def get(server, path, cookie=None) -> tuple[int, str]:
    request = urllib.request.Request(server.url + path, headers={"Cookie": cookie or ""})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def env_provider(server) -> int:
    return server.django(
        """
        from playground.providers.models import Provider
        result = Provider.objects.get(system_key="openai-env").pk
        """
    )


def run_on(server, user, provider) -> dict:
    with open_socket(server, user) as socket:
        socket.send(run_message(provider, "x"))
        return receive_until(socket, "run.finished")[-1]


def test_a_server_with_another_secret_key_starts_and_says_which_secrets_it_cannot_read(
    tmp_path, database, upstream
):
    first = server_on(database, tmp_path / "first", upstream, "first-" + "a" * 50)
    try:
        first.start()
        alice = first.create_user("alice")
        own_provider = first.create_provider(alice, upstream.base_url, name="Alice's gateway")
    finally:
        first.close()

    second = server_on(database, tmp_path / "second", upstream, "second-" + "b" * 50)
    try:
        # start() waits for the login page to answer 200.
        second.start()
        cookie = cookie_header(second, alice)

        status, form = get(second, f"/providers/{own_provider}/", cookie)
        assert status == 200
        assert UNREADABLE in form
        assert get(second, "/", cookie)[0] == 200

        finished = run_on(second, alice, own_provider)
        assert finished["status"] == "failed"
        assert UNREADABLE in finished["error"]
        assert upstream.requests == []

        finished = run_on(second, alice, env_provider(second))
        assert finished["status"] == "completed"
        assert upstream.last_headers["authorization"] == f"Bearer {ENV_KEY}"
    finally:
        second.close()


def test_serve_starts_with_another_secret_key(tmp_path, database, upstream):
    first = server_on(database, tmp_path / "first", upstream, "first-" + "a" * 50)
    try:
        first.start()
        first.create_provider(first.create_user("alice"), upstream.base_url)
    finally:
        first.close()

    second = server_on(database, tmp_path / "second", upstream, "second-" + "b" * 50)
    port = free_port()
    with (tmp_path / "serve.log").open("wb") as log:
        serve = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--port", str(port)],
            cwd=REPO,
            env=second.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        assert wait_for_login_page(serve, port) == 200, (tmp_path / "serve.log").read_text()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(serve.pid, signal.SIGTERM)
        serve.wait(10)


def wait_for_login_page(process, port, timeout=60) -> int | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            url = f"http://127.0.0.1:{port}/accounts/login/"
            with urllib.request.urlopen(url, timeout=2) as reply:
                return reply.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    return None
