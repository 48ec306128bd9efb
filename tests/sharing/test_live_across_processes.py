"""Live mode across processes: two daphne servers sharing Redis (and a database).

The presenter's socket is on one server, the viewer's on the other; the viewer must get
every token of the presenter's run, in order, through the Redis channel layer.
"""

import json

import pytest
from websockets.asyncio.client import connect as ws_connect

from ..fake_upstream import SSE, FakeUpstream, token_stream
from ..support.live_daphne import LiveDaphne, create_template_database

pytestmark = pytest.mark.subprocess

REDIS_FOR_LIVE_TEST = "redis://127.0.0.1:6379/14"
TOKENS = [f" token{i}" for i in range(60)]


@pytest.fixture
def two_servers(tmp_path):
    template = create_template_database(tmp_path / "template")
    database = template.clone(tmp_path)
    first = LiveDaphne(database, _dir(tmp_path / "a"), env={"REDIS_URL": REDIS_FOR_LIVE_TEST})
    # The same secret key, so a session cookie from one server is good on the other.
    second = LiveDaphne(
        database,
        _dir(tmp_path / "b"),
        env={"REDIS_URL": REDIS_FOR_LIVE_TEST, "SECRET_KEY": first.env["SECRET_KEY"]},
    )
    try:
        yield first.start(), second.start()
    finally:
        first.close()
        second.close()
        database.drop()
        template.drop()


@pytest.fixture
def paced_upstream():
    upstream = FakeUpstream().start()
    upstream.script(SSE(token_stream(TOKENS), delay=0.01))
    yield upstream
    upstream.stop()


def _dir(path):
    path.mkdir()
    return path


def _socket_headers(server, cookie):
    return {"Cookie": f"{cookie['name']}={cookie['value']}", "Origin": server.url}


async def _receive_until(socket, frame_type):
    frames = []
    while True:
        frame = json.loads(await socket.recv())
        frames.append(frame)
        if frame["type"] == frame_type:
            return frames


async def test_a_viewer_on_another_process_gets_every_token_in_order(two_servers, paced_upstream):
    presenter_server, viewer_server = two_servers
    alice = presenter_server.create_user("alice")
    bob = presenter_server.create_user("bob")
    provider = presenter_server.create_provider(alice, paced_upstream.base_url)
    session_id, token = presenter_server.django(
        """
        from playground.sessions.models import PlaygroundSession
        from playground.sharing.models import SessionShare, new_token
        session = PlaygroundSession.objects.create(owner_id=params["owner"], title="Demo")
        share = SessionShare.objects.create(session=session, visibility="link", token=new_token())
        result = [session.pk, share.token]
        """,
        owner=alice.pk,
    )
    presenter_url = presenter_server.url.replace("http", "ws") + "/ws/playground/"
    viewer_url = viewer_server.url.replace("http", "ws") + f"/ws/watch/{token}/"

    async with (
        ws_connect(
            presenter_url,
            additional_headers=_socket_headers(
                presenter_server, presenter_server.session_cookie(alice)
            ),
        ) as presenter,
        ws_connect(
            viewer_url,
            additional_headers=_socket_headers(viewer_server, viewer_server.session_cookie(bob)),
        ) as viewer,
    ):
        assert json.loads(await viewer.recv())["type"] == "live.state"
        await presenter.send(json.dumps({"action": "live.start", "session": session_id}))
        await _receive_until(presenter, "live.started")
        await presenter.send(
            json.dumps(
                {
                    "action": "run",
                    "session": session_id,
                    "provider": provider,
                    "model": "fake-model",
                    "prompt": "Count",
                    "stream": True,
                }
            )
        )
        presenter_frames = await _receive_until(presenter, "run.finished")
        viewer_frames = await _receive_until(viewer, "run.finished")

    assert presenter_frames[-1]["status"] == "completed"
    viewed = [f for f in viewer_frames if f["type"] in ("run.started", "delta", "run.finished")]
    assert viewed[0]["type"] == "run.started"
    assert viewed[-1]["type"] == "run.finished"
    text = "".join(f["choices"]["0"] for f in viewed if f["type"] == "delta")
    assert text == "".join(TOKENS)
