"""Fault: the provider stalls after the first token.

The read timeout (PLAYGROUND_UPSTREAM_READ_TIMEOUT, small here) ends the run as failed with
the text so far, whether the provider falls silent or keeps its connection alive with SSE
comments as some proxies do. The page is told why, the server goes on serving, and the same
socket runs the next run.
"""

import pytest
from channels.testing import HttpCommunicator
from django.utils.html import escape

from playground.asgi import application
from playground.runs.models import Run, RunStatus

from ..execution.helpers import run_and_collect, run_message, streamed_texts, wait_for
from ..fake_upstream import SSE, completion_chunk, token_stream

pytestmark = pytest.mark.django_db(transaction=True)

SILENCE = "The provider stopped answering: nothing arrived for 0.5 s."


@pytest.fixture(autouse=True)
def short_read_timeout(settings):
    settings.PLAYGROUND_UPSTREAM_READ_TIMEOUT = 0.5


async def assert_pages_still_load():
    page = HttpCommunicator(
        application, "GET", "/accounts/login/", headers=[(b"host", b"localhost")]
    )
    assert (await page.get_response(timeout=5))["status"] == 200


@pytest.mark.parametrize(
    "stall",
    [
        SSE([completion_chunk("Once upon")], stall=30, done=False),
        SSE([completion_chunk("Once upon")], stall=30, keepalive=0.1, done=False),
    ],
    ids=["silent", "keep-alive comments"],
)
async def test_a_stall_after_the_first_token_fails_the_run_keeping_its_text(
    alice, alice_provider, upstream, connect, stall
):
    socket = await connect(alice)
    upstream.script(stall)

    frames = await run_and_collect(socket, run_message(alice_provider, prompt="Tell"), timeout=10)

    finished = frames[-1]
    assert (finished["status"], finished["error"]) == ("failed", SILENCE)
    assert escape(SILENCE) in finished["html"]
    assert streamed_texts(frames) == {"0": "Once upon"}
    run = await Run.objects.aget(pk=finished["run"])
    assert (run.status, run.error) == (RunStatus.FAILED, SILENCE)
    assert run.choices[0]["text"] == "Once upon"
    # The stalled connection is closed, not left open upstream.
    assert await wait_for(upstream.client_disconnected, timeout=5)
    await assert_pages_still_load()
    frames = await run_and_collect(socket, run_message(alice_provider, prompt="Again"))
    assert frames[-1]["status"] == "completed"
    assert streamed_texts(frames) == {"0": "Hello, world"}


async def test_a_slow_stream_that_never_stalls_outlasts_the_read_timeout(
    alice, alice_provider, upstream, connect, settings
):
    # The timeout bounds each wait for an event, not the run: one timer serves the whole
    # stream (providers/client.py, _Watchdog), and it must move on with every event.
    settings.PLAYGROUND_UPSTREAM_READ_TIMEOUT = 1.0
    upstream.script(SSE(token_stream(["Once", " upon", " a", " time", ",", " far", " away"]), 0.3))
    socket = await connect(alice)

    frames = await run_and_collect(socket, run_message(alice_provider, prompt="Tell"), timeout=10)

    assert (frames[-1]["status"], frames[-1]["error"]) == ("completed", "")
    assert streamed_texts(frames) == {"0": "Once upon a time, far away"}
