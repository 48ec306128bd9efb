"""A stopped stream leaves no reference cycle: what it made is freed when it ends, not at
the garbage collector's next pass, which would fall on the way to another run's first
token (README, Performance: figure 11)."""

import asyncio

import httpx
import pytest

from playground.providers.client import stream_completion

from ..fake_upstream import SSE, token_stream
from ..support.cycles import collector_off, left_for_the_collector

pytestmark = pytest.mark.django_db(transaction=True)


async def read(provider, first_chunk: asyncio.Event) -> None:
    async for _ in stream_completion(provider, {"model": "m", "prompt": "Go", "stream": True}):
        first_chunk.set()


async def test_a_stopped_stream_leaves_nothing_for_the_collector(alice_provider, upstream):
    # A stop cancels the stream as it waits for its next event: the CancelledError's
    # traceback holds every frame it went through, the read-timeout watchdog's among them.
    upstream.script(SSE(token_stream([f" t{i}" for i in range(100)]), delay=0.05))
    with collector_off():
        first_chunk = asyncio.Event()
        task = asyncio.create_task(read(alice_provider, first_chunk))
        await first_chunk.wait()
        task.cancel()
        await asyncio.wait([task])
        assert task.cancelled()
        del task
        # Made by the stream alone: no other test's garbage holds one.
        assert left_for_the_collector((httpx.Response, asyncio.CancelledError)) == []
