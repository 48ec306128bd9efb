"""Who may open the playground socket, and how it answers messages it cannot use."""

import pytest

from ..fake_upstream import SSE, token_stream
from .helpers import collect_until_finished, run_and_collect, run_message

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_logged_in_user_may_connect(alice, connect):
    assert await connect(alice) is not None


async def test_it_refuses_anonymous_users(connect):
    assert await connect(None) is None


async def test_it_refuses_a_foreign_origin(alice, connect):
    assert await connect(alice, origin="https://evil.example") is None


async def test_it_refuses_an_empty_origin(alice, connect):
    assert await connect(alice, origin="") is None


async def assert_still_open(socket, provider):
    frames = await run_and_collect(socket, run_message(provider, prompt="still here?"))
    assert frames[-1]["status"] == "completed"


async def test_invalid_json_gets_an_error_frame_and_the_socket_stays_open(
    alice_provider, upstream, alice_socket
):
    await alice_socket.send_to(text_data="{not json")

    frame = await alice_socket.receive_json_from()

    assert frame == {"type": "error", "error": "The message is not valid JSON."}
    await assert_still_open(alice_socket, alice_provider)


@pytest.mark.parametrize("text", ["[1, 2]", '"run"', "42", "null"])
async def test_json_that_is_not_an_object_gets_an_error_frame(
    alice_provider, upstream, alice_socket, text
):
    await alice_socket.send_to(text_data=text)

    frame = await alice_socket.receive_json_from()

    assert frame == {"type": "error", "error": "The message must be a JSON object."}
    await assert_still_open(alice_socket, alice_provider)


@pytest.mark.parametrize("message", [{"action": "explode"}, {"prompt": "no action"}, {}])
async def test_an_unknown_action_gets_an_error_frame(
    alice_provider, upstream, alice_socket, message
):
    await alice_socket.send_json_to(message)

    frame = await alice_socket.receive_json_from()

    assert frame["type"] == "error"
    assert frame["error"].startswith("Unknown action: send 'run', 'compare', 'stop'")
    await assert_still_open(alice_socket, alice_provider)


async def test_a_ping_gets_a_pong_and_changes_nothing(alice_provider, upstream, alice_socket):
    await alice_socket.send_json_to({"action": "ping"})

    assert await alice_socket.receive_json_from() == {"type": "pong"}
    assert await alice_socket.receive_nothing()
    await assert_still_open(alice_socket, alice_provider)


async def test_a_ping_is_answered_while_a_run_streams(alice_provider, upstream, alice_socket):
    # The page pings to tell a hung server from a quiet one, runs going or not.
    upstream.script(SSE(token_stream([" slow"] * 10), delay=0.1))
    await alice_socket.send_json_to(run_message(alice_provider, prompt="Go"))
    assert (await alice_socket.receive_json_from())["type"] == "run.started"

    await alice_socket.send_json_to({"action": "ping"})
    frames = await collect_until_finished(alice_socket)

    types = [frame["type"] for frame in frames]
    assert "pong" in types
    assert types.index("pong") < types.index("run.finished")


async def test_a_binary_message_gets_an_error_frame(alice_provider, upstream, alice_socket):
    await alice_socket.send_to(bytes_data=b"\x00\x01")

    frame = await alice_socket.receive_json_from()

    assert frame["type"] == "error"
    await assert_still_open(alice_socket, alice_provider)


async def test_each_user_gets_only_their_own_frames(alice, bob, alice_provider, upstream, connect):
    alice_socket = await connect(alice)
    bob_socket = await connect(bob)

    await run_and_collect(alice_socket, run_message(alice_provider, prompt="private"))

    assert await bob_socket.receive_nothing(timeout=0.2)
