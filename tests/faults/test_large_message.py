"""Hostile input on a real daphne: messages larger than daphne's own 1 MiB default.

daphne closes a socket whose message is over its cap before the consumer sees it, so the
server runs a protocol of ours (playground/sockets/daphne_main.py, started by frames.daphne_command)
that answers a message over PLAYGROUND_MAX_SOCKET_MESSAGE_BYTES, however large, with a clear
error and drops it as it arrives: the socket goes on.
"""

import json

import pytest
from django.conf import settings

from tests.support.live_client import open_socket, receive_until, run_message

from ..fake_upstream import SSE, token_stream

pytestmark = pytest.mark.browser

MiB = 1024 * 1024


def test_a_prompt_over_daphnes_default_cap_gets_the_prompt_error(
    daphne_server, live_alice, live_alice_provider, upstream
):
    prompt = "x" * (MiB + MiB // 2)
    assert len(prompt) < settings.PLAYGROUND_MAX_SOCKET_MESSAGE_BYTES
    with open_socket(daphne_server, live_alice) as socket:
        socket.send(run_message(live_alice_provider, prompt))
        frames = receive_until(socket, "form.invalid")
        assert "prompt is too long" in json.dumps(frames[-1])

        upstream.script(SSE(token_stream(["still", " here"])))
        socket.send(run_message(live_alice_provider, "Hi"))
        finished = receive_until(socket, "run.finished")[-1]
    assert finished["status"] == "completed"
    assert len(upstream.completion_requests) == 1


def test_a_message_over_the_socket_cap_gets_a_clear_error_on_a_socket_that_stays_open(
    daphne_server, live_alice, live_alice_provider, upstream
):
    message = run_message(live_alice_provider, "x" * settings.PLAYGROUND_MAX_SOCKET_MESSAGE_BYTES)
    with open_socket(daphne_server, live_alice) as socket:
        socket.send(message)
        error = receive_until(socket, "error")[-1]
        assert error["error"].startswith("The message is too large")

        upstream.script(SSE(token_stream(["still", " here"])))
        socket.send(run_message(live_alice_provider, "Hi"))
        finished = receive_until(socket, "run.finished")[-1]
    assert finished["status"] == "completed"
    assert len(upstream.completion_requests) == 1


@pytest.mark.parametrize("times", [3, 10])
def test_a_message_far_over_the_cap_gets_the_error_too(
    daphne_server, live_alice, live_alice_provider, upstream, times
):
    cap = settings.PLAYGROUND_MAX_SOCKET_MESSAGE_BYTES
    message = run_message(live_alice_provider, "x" * (times * cap))
    with open_socket(daphne_server, live_alice) as socket:
        socket.send(message)
        error = receive_until(socket, "error")[-1]
        assert error["error"] == f"The message is too large: at most {cap:,} bytes of JSON."

        upstream.script(SSE(token_stream(["still", " here"])))
        socket.send(run_message(live_alice_provider, "Hi"))
        finished = receive_until(socket, "run.finished")[-1]
    assert finished["status"] == "completed"
    assert len(upstream.completion_requests) == 1
