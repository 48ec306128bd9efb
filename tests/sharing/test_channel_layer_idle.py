"""An idle socket survives longer than the channel layer's blocking read (5 s)."""

import asyncio

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(not settings.REDIS_URL, reason="only the Redis channel layer blocks")
async def test_an_idle_socket_still_answers_after_the_blocking_read(alice, alice_provider, connect):
    socket = await connect(alice)

    await asyncio.sleep(6)  # idle past channels-redis's 5 s blocking pop
    await socket.send_json_to({"action": "stop"})

    assert (await socket.receive_json_from(timeout=5))["error"] == "No run is in progress."
