"""Every way a provider fails ends the run as failed with a clear message, keeping the text."""

import socket

import pytest
from asgiref.sync import sync_to_async
from django.utils.html import escape

from playground.runs.models import Run, RunStatus

from ..factories import make_provider
from ..fake_upstream import SSE, Reply, completion_chunk, completion_response, token_stream
from .helpers import run_and_collect, run_message, streamed_texts

pytestmark = pytest.mark.django_db(transaction=True)


def openai_error(message, kind="invalid_request_error"):
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


async def run_failing(socket, provider, **fields):
    frames = await run_and_collect(socket, run_message(provider, prompt="x", **fields))
    finished = frames[-1]
    assert finished["type"] == "run.finished"
    assert finished["status"] == "failed"
    run = await Run.objects.aget(pk=finished["run"])
    assert run.status == RunStatus.FAILED
    assert run.error == finished["error"]
    return frames, run


async def assert_socket_still_runs(socket, provider):
    frames = await run_and_collect(socket, run_message(provider, prompt="again"))
    assert frames[-1]["status"] == "completed"


STATUS_ERRORS = [
    (400, "Bad Request", "This model's maximum context length is 4097 tokens."),
    (401, "Unauthorized", "Incorrect API key provided: sk-abc***xyz."),
    (403, "Forbidden", "You are not allowed to use this model."),
    (404, "Not Found", "The model `nope` does not exist."),
    (429, "Too Many Requests", "Rate limit reached for requests."),
    (500, "Internal Server Error", "The server had an error while processing your request."),
    (503, "Service Unavailable", "The engine is currently overloaded."),
]


@pytest.mark.parametrize(
    "status, reason, message", STATUS_ERRORS, ids=[str(s[0]) for s in STATUS_ERRORS]
)
@pytest.mark.parametrize("stream", ["on", ""], ids=["streamed", "whole"])
async def test_an_error_status_shows_the_providers_message(
    alice_provider, upstream, alice_socket, status, reason, message, stream
):
    upstream.script(Reply(openai_error(message), status=status))

    frames, _ = await run_failing(alice_socket, alice_provider, stream=stream)

    assert frames[-1]["error"] == f"The provider answered {status} {reason}: {message}"
    assert escape(message) in frames[-1]["html"]
    await assert_socket_still_runs(alice_socket, alice_provider)


async def test_an_error_status_in_another_shape_shows_its_detail(
    alice_provider, upstream, alice_socket
):
    detail = {"detail": [{"loc": ["body", "model"], "msg": "field required", "type": "missing"}]}
    upstream.script(Reply(detail, status=422))

    frames, _ = await run_failing(alice_socket, alice_provider)

    assert "422" in frames[-1]["error"]
    assert "field required" in frames[-1]["error"]


async def test_an_html_error_page_is_summarised(alice_provider, upstream, alice_socket):
    page = "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body>"
    upstream.script(Reply(page, status=502, content_type="text/html"))

    frames, _ = await run_failing(alice_socket, alice_provider)

    error = frames[-1]["error"]
    assert error.startswith("The provider answered 502 Bad Gateway: a non-JSON body (text/html)")
    assert "Bad Gateway" in error
    assert "<h1>" not in error
    await assert_socket_still_runs(alice_socket, alice_provider)


async def test_an_html_page_with_status_200_is_an_error(alice_provider, upstream, alice_socket):
    upstream.script(Reply("<html><body>Welcome to nginx!</body></html>", content_type="text/html"))

    frames, _ = await run_failing(alice_socket, alice_provider)

    assert frames[-1]["error"] == (
        "The provider answered with a non-JSON body (text/html): Welcome to nginx!"
    )


async def test_a_refused_connection_is_reported(alice, upstream, alice_socket):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    base_url = f"http://127.0.0.1:{closed_port}/v1"
    provider = await sync_to_async(make_provider)(owner=alice, base_url=base_url)

    frames, run = await run_failing(alice_socket, provider)

    assert frames[-1]["error"].startswith(f"Could not connect to {base_url}")
    assert run.choices == []
    working = await sync_to_async(make_provider)(owner=alice, base_url=upstream.base_url)
    await assert_socket_still_runs(alice_socket, working)


async def test_a_silent_provider_times_out_keeping_the_text(
    alice_provider, upstream, alice_socket, settings
):
    settings.PLAYGROUND_UPSTREAM_READ_TIMEOUT = 0.5
    upstream.script(SSE([completion_chunk("Partial")], stall=5, done=False))

    frames, run = await run_failing(alice_socket, alice_provider)

    assert frames[-1]["error"] == "The provider stopped answering: nothing arrived for 0.5 s."
    assert streamed_texts(frames) == {"0": "Partial"}
    assert run.choices[0]["text"] == "Partial"
    await assert_socket_still_runs(alice_socket, alice_provider)


async def test_a_silent_non_streamed_answer_times_out(
    alice_provider, upstream, alice_socket, settings
):
    settings.PLAYGROUND_UPSTREAM_READ_TIMEOUT = 0.5
    upstream.script(Reply(completion_response(["too late"]), delay=5))

    frames, run = await run_failing(alice_socket, alice_provider, stream="")

    assert frames[-1]["error"] == "The provider stopped answering: nothing arrived for 0.5 s."
    assert run.choices == []
    await assert_socket_still_runs(alice_socket, alice_provider)


async def test_an_error_event_mid_stream_keeps_the_text(alice_provider, upstream, alice_socket):
    error_event = openai_error("The model overloaded mid-generation.", kind="server_error")
    upstream.script(SSE([completion_chunk("Half"), completion_chunk(" done"), error_event]))

    frames, run = await run_failing(alice_socket, alice_provider)

    assert frames[-1]["error"] == (
        "The provider reported an error: The model overloaded mid-generation."
    )
    assert run.choices[0]["text"] == "Half done"
    assert "Half done" in frames[-1]["html"]
    await assert_socket_still_runs(alice_socket, alice_provider)


async def test_a_stream_without_done_is_incomplete(alice_provider, upstream, alice_socket):
    upstream.script(SSE(token_stream(["Cut", " off"])[:-1], done=False))

    frames, run = await run_failing(alice_socket, alice_provider)

    assert "ended without [DONE]" in frames[-1]["error"]
    assert run.choices[0]["text"] == "Cut off"
    await assert_socket_still_runs(alice_socket, alice_provider)


async def test_a_malformed_chunk_fails_the_run_keeping_the_text(
    alice_provider, upstream, alice_socket
):
    upstream.script(SSE([completion_chunk("Good"), "data: {not json\n\n", completion_chunk("x")]))

    frames, run = await run_failing(alice_socket, alice_provider)

    assert frames[-1]["error"] == "The provider sent a malformed chunk: '{not json'"
    assert run.choices[0]["text"] == "Good"
    await assert_socket_still_runs(alice_socket, alice_provider)


async def test_a_chunk_that_is_not_an_object_is_malformed(alice_provider, upstream, alice_socket):
    upstream.script(SSE(["data: [1, 2]\n\n"]))

    frames, _ = await run_failing(alice_socket, alice_provider)

    assert frames[-1]["error"] == "The provider sent a malformed chunk: '[1, 2]'"


async def test_an_error_leaves_no_notices(alice_provider, upstream, alice_socket):
    upstream.script(Reply(openai_error("nope"), status=400))

    frames, _ = await run_failing(alice_socket, alice_provider, n="3")

    assert frames[-1]["notices"] == []
