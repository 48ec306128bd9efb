"""Frames no page sends, found by fuzzing (tests/fuzz): each gets an error frame, the socket
stays open, and nothing goes upstream."""

import json

import pytest

from playground.runs.models import Run

from .helpers import run_and_collect, run_message

pytestmark = pytest.mark.django_db(transaction=True)

NOT_A_NUMBER = ["²", "9" * 5000]


async def assert_socket_still_runs(socket, provider):
    frames = await run_and_collect(socket, run_message(provider, prompt="Still here"))
    assert frames[-1]["status"] == "completed"


@pytest.mark.parametrize("action", [[], {}, ["run"]], ids=["list", "object", "list_of_run"])
async def test_an_action_that_is_not_a_string_gets_an_error(
    alice_provider, upstream, alice_socket, action
):
    await alice_socket.send_json_to({"action": action})
    frame = await alice_socket.receive_json_from(timeout=5)

    assert frame["type"] == "error"
    assert frame["error"].startswith("Unknown action")
    await assert_socket_still_runs(alice_socket, alice_provider)


@pytest.mark.parametrize(
    "field", ["stop", "prompt_json", "extra_body", "logit_bias", "model", "session"]
)
async def test_a_message_nested_too_deeply_gets_an_error(
    alice_provider, upstream, alice_socket, field
):
    deep = "[" * 5000 + "]" * 5000
    message = json.dumps(run_message(alice_provider, prompt="x"))[:-1] + f', "{field}": {deep}}}'

    await alice_socket.send_to(text_data=message)
    frame = await alice_socket.receive_json_from(timeout=5)

    assert frame == {
        "type": "error",
        "error": "The message is nested too deeply (at most 32 levels).",
    }
    assert upstream.completion_requests == []
    await assert_socket_still_runs(alice_socket, alice_provider)


async def test_json_too_deep_to_parse_gets_an_error(alice_provider, upstream, alice_socket):
    # Deep enough that Python's JSON parser itself gives up with a RecursionError.
    await alice_socket.send_to(text_data="[" * 100_000 + "]" * 100_000)
    frame = await alice_socket.receive_json_from(timeout=5)

    assert frame == {
        "type": "error",
        "error": "The message is nested too deeply (at most 32 levels).",
    }
    await assert_socket_still_runs(alice_socket, alice_provider)


async def test_a_binary_frame_gets_an_error(alice_provider, upstream, alice_socket):
    await alice_socket.send_to(bytes_data=json.dumps({"action": "stop"}).encode())
    frame = await alice_socket.receive_json_from(timeout=5)

    assert frame == {
        "type": "error",
        "error": "Send JSON in text frames: binary frames are not read.",
    }
    await assert_socket_still_runs(alice_socket, alice_provider)


@pytest.mark.parametrize("session", NOT_A_NUMBER, ids=["superscript_two", "5000_digits"])
async def test_a_run_in_a_session_whose_id_is_no_number_gets_an_error(
    alice_provider, upstream, alice_socket, session
):
    await alice_socket.send_json_to(run_message(alice_provider, prompt="x", session=session))
    frame = await alice_socket.receive_json_from(timeout=5)

    assert frame["type"] == "error"
    assert frame["error"].startswith("No such session")
    assert not await Run.objects.aexists()
    await assert_socket_still_runs(alice_socket, alice_provider)


@pytest.mark.parametrize("session", NOT_A_NUMBER, ids=["superscript_two", "5000_digits"])
async def test_going_live_with_a_session_id_that_is_no_number_gets_an_error(
    alice_provider, upstream, alice_socket, session
):
    await alice_socket.send_json_to({"action": "live.start", "session": session})
    frame = await alice_socket.receive_json_from(timeout=5)

    assert frame == {"type": "error", "error": "No such session."}
    await assert_socket_still_runs(alice_socket, alice_provider)
