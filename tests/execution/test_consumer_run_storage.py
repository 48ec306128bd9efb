"""Every run is stored: from its start, while it streams, and in its final state."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from playground.runs.models import Run, RunStatus
from playground.runs.recovery import mark_abandoned_runs_interrupted

from ..fake_upstream import SSE, Reply, completion_chunk, completion_response, token_stream
from .helpers import (
    collect_until_finished,
    receive_until,
    run_and_collect,
    run_message,
    wait_for,
    wait_for_run,
)

pytestmark = pytest.mark.django_db(transaction=True)


async def test_the_run_is_stored_as_streaming_when_it_starts(
    alice, alice_provider, upstream, alice_socket
):
    upstream.script(SSE(token_stream(["a", "b", "c"]), delay=0.1))
    await alice_socket.send_json_to(run_message(alice_provider, prompt="Hi", model="m-1"))
    started = (await receive_until(alice_socket, "run.started"))[-1]

    run = await Run.objects.select_related("owner", "provider").aget(pk=started["run"])

    assert run.status == RunStatus.STREAMING
    assert run.owner == alice
    assert run.provider == alice_provider
    assert run.provider_name == "Fake upstream"
    assert run.model == "m-1"
    assert run.request_body == {"model": "m-1", "prompt": "Hi", "stream": True}
    await collect_until_finished(alice_socket)


async def test_partial_text_is_saved_while_streaming(
    alice_provider, upstream, alice_socket, settings
):
    settings.PLAYGROUND_SAVE_INTERVAL = 0.01
    upstream.script(SSE(token_stream([f" w{i}" for i in range(40)]), delay=0.05))
    await alice_socket.send_json_to(run_message(alice_provider, prompt="Hi"))
    run_id = (await receive_until(alice_socket, "delta"))[0]["run"]

    run = await wait_for_run(run_id, lambda run: run.choices and run.choices[0]["text"])

    assert run.status == RunStatus.STREAMING
    assert run.choices[0]["text"].startswith(" w0")
    await alice_socket.send_json_to({"action": "stop"})
    await collect_until_finished(alice_socket)


async def test_the_final_state_is_stored(alice_provider, upstream, alice_socket):
    upstream.script(SSE(token_stream(["Hel", "lo"], finish_reason="stop")))

    frames = await run_and_collect(alice_socket, run_message(alice_provider, prompt="Hi"))

    run = await Run.objects.aget(pk=frames[-1]["run"])
    assert run.status == RunStatus.COMPLETED
    assert run.error == ""
    assert run.choices == [{"index": 0, "text": "Hello", "logprobs": None, "finish_reason": "stop"}]
    assert [chunk["choices"][0]["text"] for chunk in run.raw_response] == ["Hel", "lo", ""]
    assert run.total_ms is not None
    assert run.time_to_first_token_ms is not None
    assert run.completion_tokens == 2
    assert run.tokens_from_usage is False


async def test_a_run_waiting_for_its_answer_is_not_taken_for_abandoned(
    alice_provider, upstream, alice_socket, settings
):
    # A non-streamed answer (or a slow first token) can take many save intervals to come.
    settings.PLAYGROUND_SAVE_INTERVAL = 0.05
    upstream.script(Reply(completion_response(["Slow but alive"]), delay=0.8))
    await alice_socket.send_json_to(run_message(alice_provider, prompt="Hi", stream=""))
    run_id = (await receive_until(alice_socket, "run.started"))[-1]["run"]
    assert await wait_for(upstream.request_received)
    await asyncio.sleep(0.4)

    marked = await sync_to_async(mark_abandoned_runs_interrupted)()

    assert marked == 0
    assert (await Run.objects.aget(pk=run_id)).status == RunStatus.STREAMING
    frames = await collect_until_finished(alice_socket)
    assert frames[-1]["status"] == "completed"


async def test_a_slow_first_token_is_not_taken_for_abandoned(
    alice_provider, upstream, alice_socket, settings
):
    settings.PLAYGROUND_SAVE_INTERVAL = 0.05
    upstream.script(SSE([": queued\n\n", completion_chunk("Late")], delay=0.8))
    await alice_socket.send_json_to(run_message(alice_provider, prompt="Hi"))
    run_id = (await receive_until(alice_socket, "run.started"))[-1]["run"]
    assert await wait_for(upstream.request_received)
    await asyncio.sleep(0.4)

    marked = await sync_to_async(mark_abandoned_runs_interrupted)()

    assert marked == 0
    assert (await Run.objects.aget(pk=run_id)).status == RunStatus.STREAMING
    await collect_until_finished(alice_socket)


async def test_a_stopped_run_is_stored_with_its_partial_text(
    alice_provider, upstream, alice_socket
):
    upstream.script(SSE(token_stream(["kept", " lost"] * 50), delay=0.05))
    await alice_socket.send_json_to(run_message(alice_provider, prompt="Hi"))
    run_id = (await receive_until(alice_socket, "delta"))[0]["run"]
    await alice_socket.send_json_to({"action": "stop"})
    await collect_until_finished(alice_socket)

    run = await wait_for_run(run_id, lambda run: run.is_finished)

    assert run.status == RunStatus.STOPPED
    assert run.choices[0]["text"].startswith("kept")
    assert run.choices[0]["finish_reason"] is None


async def test_a_run_whose_provider_is_deleted_meanwhile_is_still_saved(
    alice_provider, upstream, alice_socket
):
    upstream.script(SSE(token_stream(["still", " here"] * 50), delay=0.05))
    await alice_socket.send_json_to(run_message(alice_provider, prompt="Hi"))
    run_id = (await receive_until(alice_socket, "delta"))[0]["run"]

    await alice_provider.adelete()
    await alice_socket.send_json_to({"action": "stop"})
    frames = await collect_until_finished(alice_socket)

    assert frames[-1]["status"] == "stopped"
    run = await Run.objects.aget(pk=run_id)
    assert run.status == RunStatus.STOPPED
    assert run.provider_id is None
    assert run.provider_name == "Fake upstream"
    assert run.choices[0]["text"].startswith("still")
