"""Any frame on the playground socket gets a clear answer: never a crash, never a closed
socket, and never a request upstream unless the message was a valid run."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ..execution.helpers import collect_until_finished, page_message
from ..fake_upstream import Reply, completion_response
from .examples import fuzz_settings
from .strategies import (
    FIELD_NAMES,
    field_values,
    json_values,
    messages_with,
    socket_messages,
    text,
)

pytestmark = pytest.mark.django_db(transaction=True)

FUZZ = fuzz_settings(60)
NO_RUN = {"type": "error", "error": "No run is in progress."}


def assert_clear_refusal(frame: dict) -> None:
    if frame["type"] == "error":
        assert isinstance(frame["error"], str) and frame["error"].strip()
    else:
        assert frame["type"] == "form.invalid", frame
        assert frame["errors"]
        for field, errors in frame["errors"].items():
            assert errors and all(isinstance(e, str) and e.strip() for e in errors), field


async def assert_answered_clearly(socket, upstream, send) -> None:
    """Sends one frame; checks the answer, the upstream, and that the socket goes on."""
    requests_before = len(upstream.completion_requests)
    await send()
    frame = await socket.receive_json_from(timeout=10)
    if frame["type"] == "run.started":
        # A valid run: its request upstream is legitimate, and it ends like any run.
        frames = await collect_until_finished(socket, timeout=10)
        assert frames[-1]["type"] == "run.finished"
    else:
        assert_clear_refusal(frame)
        assert len(upstream.completion_requests) == requests_before
    # The socket is still open and still answers a well-formed message.
    await socket.send_json_to({"action": "stop"})
    assert await socket.receive_json_from(timeout=10) == NO_RUN


@FUZZ
@given(message=socket_messages)
async def test_any_json_gets_a_clear_answer(alice, alice_provider, upstream, connect, message):
    socket = await connect(alice)
    try:
        await assert_answered_clearly(socket, upstream, lambda: socket.send_json_to(message))
    finally:
        await socket.disconnect()


@FUZZ
@given(message=messages_with(st.just("run")), use_real_provider=st.booleans())
async def test_any_run_message_gets_a_clear_answer(
    alice, alice_provider, upstream, connect, message, use_real_provider
):
    if use_real_provider:
        # Past the provider check, so every other field's validation is reached.
        message = {"provider": alice_provider.pk, "model": "fake-model", **message}
    socket = await connect(alice)
    try:
        await assert_answered_clearly(socket, upstream, lambda: socket.send_json_to(message))
    finally:
        await socket.disconnect()


# Raw ASGI events: the test communicator's send_to() cannot send an empty frame.
raw_frames = st.one_of(
    st.builds(lambda t: {"text": t}, text),
    st.builds(lambda b: {"bytes": b}, st.binary(max_size=64)),
    st.builds(lambda v: {"text": json.dumps(v)[:-1]}, json_values),
)


@FUZZ
@given(frame=raw_frames)
async def test_any_raw_frame_gets_a_clear_answer(alice, upstream, connect, frame):
    socket = await connect(alice)
    event = {"type": "websocket.receive", **frame}
    try:
        await assert_answered_clearly(socket, upstream, lambda: socket.send_input(event))
    finally:
        await socket.disconnect()


@FUZZ
@given(field=st.sampled_from(FIELD_NAMES), value=field_values)
async def test_any_value_of_one_field_in_a_page_message_gets_a_clear_answer(
    alice, alice_provider, upstream, connect, field, value
):
    # Every other field as the page sends it: this one field's validation decides.
    message = {**page_message(alice_provider), field: value}
    socket = await connect(alice)
    try:
        await assert_answered_clearly(socket, upstream, lambda: socket.send_json_to(message))
    finally:
        await socket.disconnect()


@FUZZ
@given(
    message=messages_with(st.sampled_from(["explore", "score"])),
    own_fields=st.fixed_dictionaries(
        {},
        optional={
            "request": st.one_of(json_values, text),
            "logprobs": field_values,
            "prompt": field_values,
        },
    ),
    use_real_provider=st.booleans(),
)
async def test_any_explore_or_score_message_gets_one_clear_answer(
    alice, alice_provider, upstream, connect, message, own_fields, use_real_provider
):
    logprobs = {"tokens": ["A"], "token_logprobs": [-0.5], "top_logprobs": [{"A": -0.5}]}
    upstream.default_reply = Reply(completion_response(["A"], logprobs=logprobs))
    message = {**message, **own_fields}
    if use_real_provider:
        message = {"provider": alice_provider.pk, "model": "fake-model", **message}
    kind = message["action"]
    socket = await connect(alice)
    try:
        requests_before = len(upstream.completion_requests)
        await socket.send_json_to(message)
        frame = await socket.receive_json_from(timeout=10)
        request = message.get("request")
        is_id = (isinstance(request, str) and 0 < len(request) <= 100) or (
            type(request) is int and abs(request) < 2**53
        )
        if not is_id or frame.get("error", "").startswith("The message is nested too deeply"):
            # No request id to answer to, or no message read at all.
            assert frame["type"] == "error" and frame["error"].strip()
            assert len(upstream.completion_requests) == requests_before
        else:
            assert frame["type"] in (f"{kind}.result", f"{kind}.error"), frame
            assert frame["request"] == message["request"]
            if frame["type"].endswith(".error"):
                assert isinstance(frame["error"], str) and frame["error"].strip()
        await socket.send_json_to({"action": "stop"})
        assert await socket.receive_json_from(timeout=10) == NO_RUN
    finally:
        await socket.disconnect()
