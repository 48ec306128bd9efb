"""Fault: Redis stops and starts again under two running servers.

Two daphne processes share a database and a redis-server of the test's own (empty on every
start, as a Redis without persistence comes back). alice presents on the first, bob watches
on the second. Once Redis is back, the first live action on each process must work, and a
viewer's open socket must learn by itself that live mode is back, without reconnecting.
"""

import json
import shutil
import subprocess
import time

import pytest
import redis
from websockets.sync.client import connect

from tests.support.live_client import open_socket, receive_until, run_message, wait_until
from tests.support.live_daphne import LiveDaphne, free_port

from ..fake_upstream import SSE, token_stream

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="needs redis-server to start one of its own"
)

# A socket waits this long for a frame that must come without anything else happening.
FRAME_TIMEOUT = 30


class OwnRedis:
    """A redis-server on a free loopback port, which the test stops and starts."""

    def __init__(self, directory):
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def answers(self) -> bool:
        client = redis.Redis(port=self.port, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def waiting_readers(self) -> int:
        """How many channel layer readers wait in a blocking pop: one per listening process."""
        client = redis.Redis(port=self.port, socket_connect_timeout=1, socket_timeout=1)
        try:
            return client.info("clients")["blocked_clients"]
        finally:
            client.close()

    def start(self) -> "OwnRedis":
        with (self.directory / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(
                [
                    *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                    *("--save", "", "--appendonly", "no", "--dir", str(self.directory)),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        wait_until(self.answers, what="redis-server to answer")
        return self

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture
def own_redis(tmp_path):
    directory = tmp_path / "redis"
    directory.mkdir()
    server = OwnRedis(directory).start()
    yield server
    if server.process.poll() is None:
        server.stop()


@pytest.fixture
def servers(daphne_database_template, own_redis, tmp_path, request):
    """alice's server and bob's: one database, one Redis, one secret key (cookies hold)."""
    database = daphne_database_template.clone(tmp_path)
    started = []
    try:
        for name in ("presenter", "viewer"):
            directory = tmp_path / name
            directory.mkdir()
            env = {"REDIS_URL": own_redis.url}
            if started:
                env["SECRET_KEY"] = started[0].env["SECRET_KEY"]
            started.append(LiveDaphne(database, directory, env=env).start())
        yield started
    finally:
        failed = getattr(getattr(request.node, "report_call", None), "failed", False)
        for server in started:
            server.close()
            if failed:
                print(f"--- daphne log ({server.log_path}) ---\n{server.log_tail()}")
        database.drop()


@pytest.fixture
def presenter_server(servers):
    return servers[0]


@pytest.fixture
def viewer_server(servers):
    return servers[1]


@pytest.fixture
def alice(presenter_server):
    return presenter_server.create_user("alice")


@pytest.fixture
def bob(presenter_server):
    return presenter_server.create_user("bob")


@pytest.fixture
def shared_session(presenter_server, alice) -> tuple[int, str]:
    """alice's session, shared by link: its id and the link's token."""
    return presenter_server.django(
        """
        from playground.sessions.models import PlaygroundSession
        from playground.sharing.models import SessionShare, new_token
        session = PlaygroundSession.objects.create(
            owner_id=params["owner"], title="Demo", prompt="Count to three"
        )
        share = SessionShare.objects.create(session=session, visibility="link", token=new_token())
        result = [session.pk, share.token]
        """,
        owner=alice.pk,
    )


def watch(server, user, token):
    """bob's share page's socket, as watch.js opens it."""
    cookie = server.session_cookie(user)
    return connect(
        server.url.replace("http://", "ws://") + f"/ws/watch/{token}/",
        additional_headers={"Origin": server.url, "Cookie": f"{cookie['name']}={cookie['value']}"},
        open_timeout=10,
        close_timeout=1,
    )


def next_frame(socket, frame_type, timeout=FRAME_TIMEOUT) -> dict:
    """The next frame of this type, skipping others; fails if none comes in time."""
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(socket.recv(timeout=max(deadline - time.monotonic(), 0.01)))
        if frame["type"] == frame_type:
            return frame


def assert_goes_live(socket, session_id) -> None:
    """Sends "Go live"; fails with the error, if that is the answer."""
    socket.send(json.dumps({"action": "live.start", "session": session_id}))
    answer = {"type": None}
    while answer["type"] not in ("live.started", "error"):
        answer = json.loads(socket.recv(timeout=10))
    assert answer["type"] == "live.started", answer


def test_the_first_live_start_after_redis_comes_back_works_on_each_process(
    own_redis, presenter_server, viewer_server, alice, bob, shared_session
):
    session_id, token = shared_session
    with open_socket(presenter_server, alice) as presenter:
        # Both processes have used Redis before the outage: a demo that bob watched.
        with watch(viewer_server, bob, token) as viewer:
            assert next_frame(viewer, "live.state")["available"] is True
            assert_goes_live(presenter, session_id)
            assert next_frame(viewer, "live.state")["live"] is True
            presenter.send(json.dumps({"action": "live.stop"}))
            receive_until(presenter, "live.ended")
            next_frame(viewer, "live.ended")

        own_redis.stop()
        own_redis.start()
        # Redis has been back long enough for the open page's socket to listen again.
        wait_until(own_redis.waiting_readers, what="the presenter's socket to listen again")

        # The first "Go live" on the open page works...
        assert_goes_live(presenter, session_id)
        # ...and so does the first share page opened on the other process.
        with watch(viewer_server, bob, token) as viewer:
            state = next_frame(viewer, "live.state")
            assert state["available"] is True
            assert state["live"] is True


def test_a_viewer_who_opened_the_page_while_redis_was_down_is_told_when_live_mode_is_back(
    own_redis, presenter_server, viewer_server, alice, bob, shared_session
):
    session_id, token = shared_session
    own_redis.stop()
    with watch(viewer_server, bob, token) as viewer:
        assert next_frame(viewer, "live.state")["available"] is False

        own_redis.start()

        # The same socket: bob's page does not reconnect, the server tells it.
        back = next_frame(viewer, "live.state")
        assert back["available"] is True
        assert back["prompt"] == "Count to three"
        with open_socket(presenter_server, alice) as presenter:
            assert_goes_live(presenter, session_id)
            assert next_frame(viewer, "live.state")["live"] is True


def test_a_viewer_watching_through_a_redis_restart_sees_it_go_and_follows_the_demo_after(
    own_redis, presenter_server, viewer_server, alice, bob, shared_session, upstream
):
    upstream.script(SSE(token_stream([" one", " two", " three"])))
    provider = presenter_server.create_provider(alice, upstream.base_url)
    session_id, token = shared_session
    with (
        open_socket(presenter_server, alice) as presenter,
        watch(viewer_server, bob, token) as viewer,
    ):
        assert next_frame(viewer, "live.state")["available"] is True
        assert_goes_live(presenter, session_id)
        assert next_frame(viewer, "live.state")["live"] is True

        own_redis.stop()
        assert next_frame(viewer, "live.state")["available"] is False
        # Redis comes back empty: bob's place among the viewers is gone with the rest.
        own_redis.start()
        back = next_frame(viewer, "live.state")
        assert back["available"] is True
        assert back["live"] is True

        presenter.send(run_message(provider, "Count to three", session=session_id))
        assert receive_until(presenter, "run.finished")[-1]["status"] == "completed"
        seen = receive_until(viewer, "run.finished")
    text = "".join(f["choices"]["0"] for f in seen if f["type"] == "delta")
    assert text == " one two three"
