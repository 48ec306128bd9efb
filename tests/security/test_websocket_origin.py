"""Only the app's own pages may open its sockets: through the real ASGI stack.

Browsers always send Origin on a websocket handshake, so a handshake without one is not a
page of ours; it is refused too (Channels' AllowedHostsOriginValidator does so already).
"""

import pytest

from playground.sessions.models import PlaygroundSession
from playground.sharing.models import SessionShare, Visibility, new_token
from playground.sockets.origin import is_same_origin

pytestmark = pytest.mark.django_db(transaction=True)

PLAYGROUND = "/ws/playground/"


@pytest.fixture
def watch_path(alice):
    session = PlaygroundSession.objects.create(owner=alice, title="Shared", title_is_custom=True)
    share = SessionShare.objects.create(
        session=session, visibility=Visibility.LINK, token=new_token()
    )
    return f"/ws/watch/{share.token}/"


@pytest.fixture
def team_watch_path(alice, bob):
    from django.contrib.auth.models import Group

    team = Group.objects.create(name="Team")
    alice.groups.add(team)
    bob.groups.add(team)
    session = PlaygroundSession.objects.create(owner=alice, title="Team", title_is_custom=True)
    SessionShare.objects.create(session=session, visibility=Visibility.TEAM, team=team)
    return f"/ws/watch/team/{session.pk}/"


async def test_the_playground_socket_opens_from_its_own_origin(alice, connect):
    assert await connect(alice, origin="http://localhost", path=PLAYGROUND) is not None


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example",
        "https://evil.example",
        "http://localhost.evil.example",
        # Another server on the same host: its pages are another origin.
        "http://localhost:3000",
        "null",
        "",
    ],
)
async def test_the_playground_socket_refuses_a_foreign_origin(alice, connect, origin):
    assert await connect(alice, origin=origin, path=PLAYGROUND) is None


async def test_the_playground_socket_refuses_a_handshake_without_origin(alice, connect):
    assert await connect(alice, origin=None, path=PLAYGROUND) is None


async def test_a_watch_socket_opens_from_its_own_origin(bob, connect, watch_path):
    viewer = await connect(bob, origin="http://localhost", path=watch_path)

    assert (await viewer.receive_json_from())["type"] == "live.state"


@pytest.mark.parametrize("origin", ["http://evil.example", "http://localhost:3000", None])
async def test_a_watch_socket_refuses_a_foreign_origin(bob, connect, watch_path, origin):
    assert await connect(bob, origin=origin, path=watch_path) is None


async def test_a_team_watch_socket_refuses_a_foreign_origin(bob, connect, team_watch_path):
    assert await connect(bob, origin="http://localhost", path=team_watch_path) is not None
    assert await connect(bob, origin="http://evil.example", path=team_watch_path) is None


async def test_it_compares_the_origin_with_the_host_it_was_opened_on(alice, connect):
    opened = await connect(alice, origin="http://127.0.0.1:8000", host="127.0.0.1:8000")
    other_port = await connect(alice, origin="http://127.0.0.1:8001", host="127.0.0.1:8000")

    assert opened is not None
    assert other_port is None


async def test_a_trusted_origin_opens_it_behind_a_proxy_that_rewrites_host(
    alice, connect, settings
):
    # A TLS proxy on https://localhost hands the socket on to daphne as Host: 127.0.0.1:8000.
    settings.CSRF_TRUSTED_ORIGINS = ["https://localhost"]

    assert await connect(alice, origin="https://localhost", host="127.0.0.1:8000") is not None
    assert await connect(alice, origin="http://localhost:3000", host="127.0.0.1:8000") is None


def handshake(origin, host):
    return {
        "type": "websocket",
        "headers": [(b"origin", origin.encode()), (b"host", host.encode())],
    }


def test_a_trusted_wildcard_origin_covers_its_subdomains(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.example.com"]

    assert is_same_origin(handshake("https://play.example.com", "127.0.0.1:8000"))
    assert not is_same_origin(handshake("http://play.example.com", "127.0.0.1:8000"))
    assert not is_same_origin(handshake("https://play.example.com.evil", "127.0.0.1:8000"))
