"""Fault: Redis is down while REDIS_URL is set.

A real daphne server whose channel layer and cache both point at a port where nothing
listens. Logging in, every page and solo runs still work; the pages and sockets that offer
live mode say that it is unavailable.
"""

import http.cookiejar
import json
import re
import urllib.parse
import urllib.request

import pytest
from websockets.sync.client import connect

from tests.factories import PASSWORD
from tests.support.live_client import open_socket, receive_until, run_message, stored_run
from tests.support.live_daphne import free_port

LIVE_UNAVAILABLE = "Live mode is unavailable right now"


@pytest.fixture
def daphne_server_env():
    return {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}


class Visitor:
    """A cookie jar and urllib: a person's browser, without the JavaScript."""

    def __init__(self, server):
        self.server = server
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[str, str]:
        """The page's final URL (after redirects) and its text; fails unless it is a 200."""
        with self.opener.open(self.server.url + path, timeout=10) as reply:
            assert reply.status == 200
            return reply.url, reply.read().decode()

    def post(self, path: str, fields: dict) -> tuple[str, str]:
        self.get(path)
        token = next(cookie.value for cookie in self.jar if cookie.name == "csrftoken")
        body = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(
            self.server.url + path, data=body, headers={"Referer": self.server.url + path}
        )
        with self.opener.open(request, timeout=10) as reply:
            return reply.url, reply.read().decode()

    def log_in(self, user) -> None:
        url, _ = self.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
        assert not url.endswith("/accounts/login/")


@pytest.fixture
def alice(daphne_server):
    return daphne_server.create_user("alice")


@pytest.fixture
def alice_provider(daphne_server, alice, upstream) -> int:
    return daphne_server.create_provider(alice, upstream.base_url, name="Fake upstream")


@pytest.fixture
def alice_visitor(daphne_server, alice) -> Visitor:
    visitor = Visitor(daphne_server)
    visitor.log_in(alice)
    return visitor


def _session_id(visitor: Visitor) -> int:
    url, _ = visitor.get("/")
    return int(re.search(r"/sessions/(\d+)/", url).group(1))


def _share_by_link(server, session_id: int) -> str:
    return server.django(
        """
        from playground.sharing.models import SessionShare, new_token
        share, _ = SessionShare.objects.get_or_create(session_id=params["session"])
        share.visibility, share.token = "link", new_token()
        share.save()
        result = share.token
        """,
        session=session_id,
    )


def test_logging_in_works_and_a_wrong_password_is_refused(daphne_server, alice):
    visitor = Visitor(daphne_server)

    url, page = visitor.post("/accounts/login/", {"username": "alice", "password": "wrong"})

    assert url.endswith("/accounts/login/")
    assert "Please enter a correct username and password" in page
    visitor.log_in(alice)


def test_a_solo_run_streams_and_is_saved_twice_over_one_socket(
    daphne_server, alice, alice_provider
):
    with open_socket(daphne_server, alice) as socket:
        for prompt in ("first", "second"):
            socket.send(run_message(alice_provider, prompt))
            frames = receive_until(socket, "run.finished")

            assert "".join(
                text for f in frames if f["type"] == "delta" for text in f["choices"].values()
            ) == ("Hello, world")
            assert frames[-1]["status"] == "completed"
            assert stored_run(daphne_server, frames[-1]["run"])["text"] == "Hello, world"


def test_the_model_list_loads(daphne_server, alice_visitor, alice_provider):
    _, fragment = alice_visitor.get(f"/providers/models/?provider={alice_provider}")

    assert "fake-model-large" in fragment


def test_presenter_mode_says_live_mode_is_unavailable(alice_visitor):
    session = _session_id(alice_visitor)

    _, page = alice_visitor.get(f"/sessions/{session}/present/")

    assert LIVE_UNAVAILABLE in page
    assert re.search(r'id="live-start"[^>]*disabled', page)


def test_the_share_page_says_live_mode_is_unavailable(daphne_server, alice_visitor):
    session = _session_id(alice_visitor)
    _share_by_link(daphne_server, session)

    _, page = alice_visitor.get(f"/sessions/{session}/share/")

    assert LIVE_UNAVAILABLE in page


def test_the_watch_page_and_its_socket_say_live_mode_is_unavailable(daphne_server, alice_visitor):
    token = _share_by_link(daphne_server, _session_id(alice_visitor))

    _, page = alice_visitor.get(f"/s/{token}/")

    assert LIVE_UNAVAILABLE in page
    cookie = "; ".join(f"{c.name}={c.value}" for c in alice_visitor.jar)
    url = daphne_server.url.replace("http://", "ws://") + f"/ws/watch/{token}/"
    with connect(url, additional_headers={"Origin": daphne_server.url, "Cookie": cookie}) as ws:
        state = json.loads(ws.recv(timeout=10))
        assert state["type"] == "live.state"
        assert state["available"] is False
        # The socket stays open: it still answers.
        ws.send("{}")
        assert json.loads(ws.recv(timeout=10))["type"] == "error"


def test_going_live_is_refused_clearly_and_the_socket_still_runs(
    daphne_server, alice, alice_provider, alice_visitor
):
    session = _session_id(alice_visitor)
    _share_by_link(daphne_server, session)
    with open_socket(daphne_server, alice) as socket:
        socket.send(json.dumps({"action": "live.start", "session": session}))
        refused = receive_until(socket, "error")[-1]

        assert refused["error"].startswith(LIVE_UNAVAILABLE)
        socket.send(run_message(alice_provider, "still here", session=session))
        assert receive_until(socket, "run.finished")[-1]["status"] == "completed"
