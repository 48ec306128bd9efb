"""Fault: the provider sends far more than anyone could read.

A run keeps at most PLAYGROUND_MAX_OUTPUT_CHARS characters of text (1,000,000 by default)
and stops reading there. A piece that never ends (a line without a newline, a huge
non-streamed body) is cut at PLAYGROUND_MAX_CHUNK_BYTES, so it cannot fill the memory. Either
way the run fails with a clear message and keeps its text, the upstream connection is
closed, and the server and the socket go on serving.

Each reply stalls after what it sends: only a playground that stopped reading and hung up
ends the run, and the upstream notices the hang-up.
"""

import itertools

import pytest
from channels.testing import HttpCommunicator
from django.test import AsyncClient
from django.utils.html import escape

from playground.asgi import application
from playground.runs.models import Run, RunStatus

from ..execution.helpers import (
    receive_until,
    run_and_collect,
    run_message,
    streamed_texts,
    wait_for,
)
from ..fake_upstream import SSE, Reply, completion_chunk, completion_response

pytestmark = pytest.mark.django_db(transaction=True)

CAP_MESSAGE = "Output stopped at 1,000,000 characters, the playground's cap."
MEGABYTE = 1_000_000


def chunk_limit_message(limit: int) -> str:
    return (
        f"Reading stopped: the provider sent more than {limit:,} bytes without finishing a "
        "chunk, the playground's cap for one stream event or one whole response."
    )


async def assert_pages_still_load():
    page = HttpCommunicator(
        application, "GET", "/accounts/login/", headers=[(b"host", b"localhost")]
    )
    assert (await page.get_response(timeout=5))["status"] == 200


async def card_of(finished: dict, user) -> str:
    """The run's card: in its run.finished frame or, when too large for one, as the page
    fetches it."""
    if finished["html"] is not None:
        return finished["html"]
    client = AsyncClient()
    await client.aforce_login(user)
    return (await client.get(f"/runs/{finished['run']}/")).content.decode()


async def run_failing(socket, user, provider, **fields) -> tuple[list[dict], Run]:
    frames = await run_and_collect(socket, run_message(provider, prompt="x", **fields), timeout=30)
    assert frames[-1]["status"] == "failed"
    run = await Run.objects.aget(pk=frames[-1]["run"])
    assert (run.status, run.error) == (RunStatus.FAILED, frames[-1]["error"])
    assert escape(run.error) in await card_of(frames[-1], user)
    return frames, run


async def assert_socket_still_runs(socket, provider):
    frames = await run_and_collect(socket, run_message(provider, prompt="again"))
    assert frames[-1]["status"] == "completed"
    assert streamed_texts(frames) == {"0": "Hello, world"}


async def test_five_megabytes_of_text_stop_at_the_output_cap(
    alice, alice_provider, upstream, connect, settings
):
    # Far below the 5 MB: the limit holds for each event, not for the whole stream.
    settings.PLAYGROUND_MAX_CHUNK_BYTES = 100_000
    pieces = [f"{i:07d}" + "x" * 993 for i in range(5000)]
    upstream.script(SSE([completion_chunk(piece) for piece in pieces], stall=60, done=False))
    socket = await connect(alice)

    frames, run = await run_failing(socket, alice, alice_provider)

    assert run.error == CAP_MESSAGE
    kept = "".join(pieces)[:MEGABYTE]
    assert streamed_texts(frames) == {"0": kept}
    assert run.choices[0]["text"] == kept
    assert await wait_for(upstream.client_disconnected, timeout=5)
    await assert_pages_still_load()
    await assert_socket_still_runs(socket, alice_provider)


async def test_one_megabyte_line_stops_at_the_output_cap(alice, alice_provider, upstream, connect):
    text = "y" * (MEGABYTE + 48_576)
    upstream.script(SSE([completion_chunk(text)], stall=60, done=False))
    socket = await connect(alice)

    frames, run = await run_failing(socket, alice, alice_provider)

    assert run.error == CAP_MESSAGE
    assert run.choices[0]["text"] == text[:MEGABYTE]
    assert streamed_texts(frames) == {"0": text[:MEGABYTE]}
    assert await wait_for(upstream.client_disconnected, timeout=5)
    await assert_socket_still_runs(socket, alice_provider)


async def test_the_cap_counts_all_choices_together(alice, alice_provider, upstream, connect):
    chunks = [completion_chunk("a" * 600_000, index=0), completion_chunk("b" * 600_000, index=1)]
    upstream.script(SSE(chunks, stall=60, done=False))
    socket = await connect(alice)

    _, run = await run_failing(socket, alice, alice_provider, n="2")

    assert run.error == CAP_MESSAGE
    assert [choice["text"] for choice in run.choices] == ["a" * 600_000, "b" * 400_000]


async def test_a_line_that_never_ends_is_cut_at_the_chunk_limit(
    alice, alice_provider, upstream, connect
):
    endless = (b"x" * 65_536 for _ in range(1024))  # 64 MB, and no newline
    events = itertools.chain([completion_chunk("Before"), b"data: "], endless)
    upstream.script(SSE(events, stall=60, done=False))
    alice_socket = await connect(alice)
    await alice_socket.send_json_to(run_message(alice_provider, prompt="x"))
    await receive_until(alice_socket, "run.started")

    # Meanwhile, the server answers others.
    await assert_pages_still_load()

    frames = await receive_until(alice_socket, "run.finished", timeout=30)
    assert frames[-1]["status"] == "failed"
    assert frames[-1]["error"] == chunk_limit_message(8_000_000)
    run = await Run.objects.aget(pk=frames[-1]["run"])
    assert (run.status, run.choices[0]["text"]) == (RunStatus.FAILED, "Before")
    assert await wait_for(upstream.client_disconnected, timeout=5)
    await assert_socket_still_runs(alice_socket, alice_provider)


async def test_a_huge_whole_response_is_cut_at_the_chunk_limit(
    alice, alice_provider, upstream, connect, settings
):
    settings.PLAYGROUND_MAX_CHUNK_BYTES = 100_000
    upstream.script(Reply(completion_response(["z" * MEGABYTE])))
    socket = await connect(alice)

    _, run = await run_failing(socket, alice, alice_provider, stream="")

    assert run.error == chunk_limit_message(100_000)
    assert run.choices == []
    await assert_socket_still_runs(socket, alice_provider)
