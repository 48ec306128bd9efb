import json
import socket

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from hypothesis import settings as hypothesis_settings

from playground.asgi import application
from playground.localmodel.server import LocalModelServer, model_path

from .factories import EXTRA_HEADERS, make_provider, make_user
from .fake_upstream import FakeUpstream

# `make test-fast` runs with --hypothesis-profile=fast: each fuzz test tries a tenth of its
# examples (tests/fuzz/examples.py). `make test` keeps the default profile.
hypothesis_settings.register_profile("fast", max_examples=10)

pytest_plugins = [
    # Fails the session if any API key shows up in what the app produced (see the module).
    "tests.secrets_audit",
    # A live daphne server, Chromium and pages, for the tests that need a real server.
    "tests.support.live_server",
]


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # The default hasher takes most of a second per user on a small machine. Live servers
    # (tests/support/live_daphne.py) hash each password once per session instead.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def private_upstreams_allowed(settings):
    """The fake upstream listens on loopback, and most tests' providers are ordinary users',
    whom the address rules (providers/addresses.py) keep from it: the tests of those rules
    turn this off."""
    settings.PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS = True


@pytest.fixture(autouse=True)
def tasks_run_at_once(settings):
    """In the test process a task runs when enqueued, in the test (Django's ImmediateBackend),
    so a test sees its effect at once and on the test's own database. The real backends and
    their workers run in tests/test_worker.py and tests/test_serve.py (subprocesses), and
    db_worker in tests/providers/test_probe_queued.py."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def fresh_local_cache(settings):
    """The in-memory cache starts empty: SQLite hands out the ids of rolled-back rows again,
    so a count kept by user or provider id (limits, probe claims) would carry over. Redis
    (the scale-out run) is not flushed: PostgreSQL never reuses an id."""
    if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        from django.core.cache import cache

        cache.clear()


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    """A channel layer per test: channels-redis binds its receive lock to one event loop,
    and every async test runs in a loop of its own."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def upstream():
    fake = FakeUpstream().start()
    yield fake
    fake.stop()


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.fixture
def bob(db):
    return make_user("bob")


@pytest.fixture
def charlie(db):
    return make_user("charlie")


@pytest.fixture
def provider(alice):
    """Alice's provider, with a key and extra headers whose values are secret too."""
    return make_provider(
        owner=alice, name="Alice's provider", extra_headers=json.dumps(EXTRA_HEADERS)
    )


@pytest.fixture
def alice_provider(alice, upstream):
    return make_provider(owner=alice, base_url=upstream.base_url, name="Fake upstream")


@pytest.fixture
def bob_provider(bob, upstream):
    return make_provider(owner=bob, base_url=upstream.base_url, name="Bob's provider")


@pytest.fixture
def shared_provider(db, upstream):
    return make_provider(owner=None, base_url=upstream.base_url, name="Shared fake")


@pytest.fixture
def alice_client(alice):
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(bob):
    client = Client()
    client.force_login(bob)
    return client


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.fixture
async def connect():
    """Opens the playground socket through the real ASGI stack, as a logged-in user.

    Every communicator opened here is disconnected at teardown.
    """
    opened = []

    async def open_socket(
        user=None, origin="http://localhost", path="/ws/playground/", host="localhost", client=None
    ):
        # origin=None sends no Origin header at all. client: a logged-in test Client whose
        # login session the socket shares (to log out or change the password from it).
        headers = [(b"host", host.encode())]
        if origin is not None:
            headers.append((b"origin", origin.encode()))
        if client is not None:
            cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
            headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
        elif user is not None:
            cookie = await database_sync_to_async(_session_cookie)(user)
            headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
        communicator = WebsocketCommunicator(application, path, headers=headers)
        opened.append(communicator)
        connected, _ = await communicator.connect()
        return communicator if connected else None

    yield open_socket
    for communicator in opened:
        await communicator.disconnect()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def local_model_server(tmp_path_factory):
    server = LocalModelServer(
        model_path(), _free_port(), tmp_path_factory.mktemp("localmodel") / "server.log"
    )
    server.start()
    try:
        server.wait_until_ready(timeout=180)
        yield server
    finally:
        server.stop()


@pytest.fixture
async def alice_socket(alice, connect):
    return await connect(alice)
