"""Stopping a run, by the stop action or by closing the socket, hangs up on the provider."""

import pytest

from playground.runs.models import Run, RunStatus

from ..fake_upstream import SSE, Reply, completion_response, token_stream
from .helpers import (
    collect_until_finished,
    receive_until,
    run_and_collect,
    run_message,
    streamed_texts,
    wait_for,
    wait_for_run,
)

pytestmark = pytest.mark.django_db(transaction=True)

TOKENS = [f" t{i}" for i in range(100)]
FULL_TEXT = "".join(TOKENS)


def slow_stream():
    return SSE(token_stream(TOKENS), delay=0.05)


async def start_and_wait_for_first_delta(socket, provider):
    await socket.send_json_to(run_message(provider, prompt="Go"))
    return await receive_until(socket, "delta")


async def test_stop_ends_the_run_as_stopped_and_keeps_the_partial_text(
    alice_provider, upstream, alice_socket
):
    upstream.script(slow_stream())
    frames = await start_and_wait_for_first_delta(alice_socket, alice_provider)

    await alice_socket.send_json_to({"action": "stop"})
    frames += await collect_until_finished(alice_socket)

    finished = frames[-1]
    assert finished["status"] == "stopped"
    assert finished["error"] == "Stopped before the provider finished."
    text = streamed_texts(frames)["0"]
    assert text and FULL_TEXT.startswith(text) and text != FULL_TEXT
    run = await Run.objects.aget(pk=finished["run"])
    assert run.status == RunStatus.STOPPED
    assert run.choices[0]["text"] == text


async def test_stop_hangs_up_on_the_provider(alice_provider, upstream, alice_socket):
    upstream.script(slow_stream())
    await start_and_wait_for_first_delta(alice_socket, alice_provider)

    await alice_socket.send_json_to({"action": "stop"})

    assert await wait_for(upstream.client_disconnected, timeout=2)
    assert not upstream.streams_finished.is_set()


async def test_stop_of_a_non_streamed_run_hangs_up_on_the_provider(
    alice_provider, upstream, alice_socket
):
    upstream.script(Reply(completion_response(["never seen"]), delay=10))
    await alice_socket.send_json_to(run_message(alice_provider, prompt="x", stream=""))
    await receive_until(alice_socket, "run.started")
    assert await wait_for(upstream.request_received)

    await alice_socket.send_json_to({"action": "stop"})
    frames = await collect_until_finished(alice_socket)

    assert frames[-1]["status"] == "stopped"
    assert await wait_for(upstream.client_disconnected, timeout=2)


async def test_the_socket_runs_again_after_a_stop(alice_provider, upstream, alice_socket):
    upstream.script(slow_stream())
    await start_and_wait_for_first_delta(alice_socket, alice_provider)
    await alice_socket.send_json_to({"action": "stop"})
    await collect_until_finished(alice_socket)

    frames = await run_and_collect(alice_socket, run_message(alice_provider, prompt="Again"))

    assert frames[-1]["status"] == "completed"
    assert streamed_texts(frames) == {"0": "Hello, world"}


async def test_closing_the_socket_stops_the_run_and_hangs_up(
    alice_provider, upstream, alice_socket
):
    upstream.script(slow_stream())
    frames = await start_and_wait_for_first_delta(alice_socket, alice_provider)

    await alice_socket.disconnect()

    assert await wait_for(upstream.client_disconnected, timeout=2)
    run = await wait_for_run(frames[0]["run"], lambda run: run.is_finished)
    assert run.status == RunStatus.STOPPED
    assert run.choices[0]["text"]
    assert FULL_TEXT.startswith(run.choices[0]["text"])


async def test_stop_without_a_run_is_an_error_frame(alice_socket):
    await alice_socket.send_json_to({"action": "stop"})

    frame = await alice_socket.receive_json_from()

    assert frame == {"type": "error", "error": "No run is in progress."}


async def test_a_second_run_while_one_streams_is_refused(alice_provider, upstream, alice_socket):
    upstream.script(slow_stream())
    await start_and_wait_for_first_delta(alice_socket, alice_provider)

    await alice_socket.send_json_to(run_message(alice_provider, prompt="Another"))
    frames = await receive_until(alice_socket, "error")

    assert frames[-1]["error"] == "A run is already in progress: stop it first."
    assert len(upstream.completion_requests) == 1
    await alice_socket.send_json_to({"action": "stop"})
    await collect_until_finished(alice_socket)
