"""A stopped run leaves no reference cycle: what it made is freed when the socket lets go of
it, not at the garbage collector's next pass, which would fall on the way to another run's
first token (README, Performance: figure 11)."""

import asyncio

import httpx
import pytest

from ..fake_upstream import SSE, token_stream
from ..support.cycles import collector_off, left_for_the_collector
from .helpers import collect_until_finished, receive_until, run_and_collect, run_message

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_stopped_run_leaves_nothing_for_the_collector(
    alice_provider, upstream, alice_socket
):
    upstream.script(SSE(token_stream([f" t{i}" for i in range(100)]), delay=0.05))
    upstream.script(SSE(token_stream([" again"])))
    with collector_off():
        await alice_socket.send_json_to(run_message(alice_provider, prompt="Go"))
        await receive_until(alice_socket, "delta")
        await alice_socket.send_json_to({"action": "stop"})
        assert (await collect_until_finished(alice_socket))[-1]["status"] == "stopped"
        # The socket keeps its last run until the next one starts.
        frames = await run_and_collect(alice_socket, run_message(alice_provider, prompt="Go"))
        assert frames[-1]["status"] == "completed"
        # Made by the stopped run alone: the finished one raised nothing.
        assert left_for_the_collector((httpx.Response, asyncio.CancelledError)) == []
