"""The caps on a run's prompt, a socket message, and a user's concurrent and per-minute runs.

Going over one gets a clear message, and nothing goes upstream.
"""

import json
import re
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from playground.runs.models import Run, RunStatus
from playground.sessions.models import PlaygroundSession

from ..factories import make_run, make_session
from ..fake_upstream import SSE, token_stream
from .helpers import (
    collect_until_finished,
    page_message,
    receive_until,
    run_and_collect,
    run_message,
)

pytestmark = pytest.mark.django_db(transaction=True)

SLOW_TOKENS = [f" t{i}" for i in range(200)]


def slow_stream():
    return SSE(token_stream(SLOW_TOKENS), delay=0.05)


# --- the prompt -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, field, label",
    [
        ({"prompt": "x" * 51}, "prompt", "prompt"),
        ({"suffix": "x" * 51}, "suffix", "suffix"),
        ({"prompt": "", "prompt_json": json.dumps(["x" * 20, "y" * 30])}, "prompt_json", "JSON"),
        ({"prompt": "", "prompt_json": json.dumps(list(range(30)))}, "prompt_json", "JSON"),
    ],
    ids=["prompt", "suffix", "prompt_list", "token_array"],
)
async def test_a_prompt_over_the_cap_gets_a_form_error_and_never_reaches_upstream(
    alice_provider, upstream, alice_socket, settings, fields, field, label
):
    settings.PLAYGROUND_MAX_PROMPT_CHARS = 50

    frames = await run_and_collect(alice_socket, page_message(alice_provider, **fields))

    assert [frame["type"] for frame in frames] == ["form.invalid"]
    [error] = frames[0]["errors"][field]
    assert label in error
    assert "too long: at most 50 characters" in error
    assert upstream.completion_requests == []
    assert not await Run.objects.aexists()


async def test_a_prompt_at_the_cap_runs(alice_provider, upstream, alice_socket, settings):
    settings.PLAYGROUND_MAX_PROMPT_CHARS = 50

    frames = await run_and_collect(alice_socket, page_message(alice_provider, prompt="x" * 50))

    assert frames[-1]["type"] == "run.finished"
    assert upstream.last_body["prompt"] == "x" * 50


# --- the socket message ---------------------------------------------------------------


async def test_an_oversized_message_gets_an_error_and_the_socket_goes_on(
    alice_provider, upstream, alice_socket, settings
):
    settings.PLAYGROUND_MAX_SOCKET_MESSAGE_BYTES = 1000
    message = json.dumps(run_message(alice_provider, prompt="x" * 1000))

    await alice_socket.send_to(text_data=message)
    frame = await alice_socket.receive_json_from(timeout=5)

    assert frame == {
        "type": "error",
        "error": "The message is too large: at most 1,000 bytes of JSON.",
    }
    assert upstream.completion_requests == []
    frames = await run_and_collect(alice_socket, run_message(alice_provider, prompt="Hi"))
    assert frames[-1]["status"] == "completed"


async def test_the_message_cap_counts_bytes_not_characters(
    alice_provider, upstream, alice_socket, settings
):
    settings.PLAYGROUND_MAX_SOCKET_MESSAGE_BYTES = 1000
    # 400 characters, 1200 bytes of UTF-8.
    message = json.dumps(run_message(alice_provider, prompt="€" * 400), ensure_ascii=False)
    assert len(message) < 1000

    await alice_socket.send_to(text_data=message)
    frame = await alice_socket.receive_json_from(timeout=5)

    assert "too large" in frame["error"]
    assert upstream.completion_requests == []


# --- concurrent runs ------------------------------------------------------------------


async def test_a_run_over_the_concurrency_cap_is_refused_while_the_others_stream(
    alice, alice_provider, upstream, connect, settings
):
    settings.PLAYGROUND_MAX_CONCURRENT_RUNS = 2
    upstream.script(slow_stream(), slow_stream())
    first, second, third = [await connect(alice) for _ in range(3)]
    for socket in (first, second):
        await socket.send_json_to(run_message(alice_provider, prompt="Go"))
        await receive_until(socket, "delta")

    await third.send_json_to(run_message(alice_provider, prompt="One too many"))
    frame = await third.receive_json_from(timeout=5)

    assert frame["type"] == "error"
    assert "You already have 2 runs going" in frame["error"]
    assert "stop one or wait for one to finish" in frame["error"]
    assert len(upstream.completion_requests) == 2
    assert await Run.objects.acount() == 2
    # The first two are still streaming.
    assert (await first.receive_json_from(timeout=5))["type"] == "delta"

    await first.send_json_to({"action": "stop"})
    await collect_until_finished(first)
    frames = await run_and_collect(third, run_message(alice_provider, prompt="Now it fits"))
    assert frames[-1]["type"] == "run.finished"
    assert len(upstream.completion_requests) == 3


async def test_the_concurrency_cap_is_per_user(
    alice, bob, alice_provider, bob_provider, upstream, connect, settings
):
    settings.PLAYGROUND_MAX_CONCURRENT_RUNS = 1
    upstream.script(slow_stream())
    alices = await connect(alice)
    await alices.send_json_to(run_message(alice_provider, prompt="Go"))
    await receive_until(alices, "delta")

    frames = await run_and_collect(await connect(bob), run_message(bob_provider, prompt="Mine"))

    assert frames[-1]["type"] == "run.finished"


async def test_a_run_left_behind_by_a_dead_server_does_not_count(
    alice, alice_provider, upstream, alice_socket, settings
):
    settings.PLAYGROUND_MAX_CONCURRENT_RUNS = 1
    abandoned = await database_sync_to_async(make_run)(
        alice, alice_provider, status=RunStatus.STREAMING
    )
    # Not saved for a minute: the process that streamed it is gone.
    await Run.objects.filter(pk=abandoned.pk).aupdate(
        updated_at=timezone.now() - timedelta(minutes=1)
    )

    frames = await run_and_collect(alice_socket, run_message(alice_provider, prompt="Hi"))

    assert frames[-1]["type"] == "run.finished"


# --- runs per minute ------------------------------------------------------------------


async def test_a_run_over_the_per_minute_cap_is_refused_and_says_when_to_retry(
    alice, alice_provider, upstream, alice_socket, settings
):
    settings.PLAYGROUND_RUNS_PER_MINUTE = 3
    for _ in range(3):
        frames = await run_and_collect(alice_socket, run_message(alice_provider, prompt="Hi"))
        assert frames[-1]["type"] == "run.finished"

    await alice_socket.send_json_to(run_message(alice_provider, prompt="Once more"))
    frame = await alice_socket.receive_json_from(timeout=5)

    assert frame["type"] == "error"
    assert re.fullmatch(
        r"You may start at most 3 runs a minute: try again in \d+ seconds?\.", frame["error"]
    )
    assert len(upstream.completion_requests) == 3
    assert await Run.objects.acount() == 3


async def test_runs_older_than_a_minute_do_not_count(
    alice, alice_provider, upstream, alice_socket, settings
):
    settings.PLAYGROUND_RUNS_PER_MINUTE = 3
    for _ in range(3):
        await database_sync_to_async(make_run)(alice, alice_provider)
    await Run.objects.aupdate(created_at=timezone.now() - timedelta(seconds=61))

    frames = await run_and_collect(alice_socket, run_message(alice_provider, prompt="Hi"))

    assert frames[-1]["type"] == "run.finished"


async def test_a_refused_run_still_saves_the_form(
    alice, alice_provider, upstream, alice_socket, settings
):
    settings.PLAYGROUND_RUNS_PER_MINUTE = 1
    await database_sync_to_async(make_run)(alice, alice_provider)
    session = await database_sync_to_async(make_session)(alice, alice_provider)

    await alice_socket.send_json_to(
        run_message(alice_provider, prompt="Keep me", session=session.pk)
    )
    frame = await alice_socket.receive_json_from(timeout=5)

    assert frame["type"] == "error"
    session = await PlaygroundSession.objects.aget(pk=session.pk)
    assert session.prompt == "Keep me"
    assert session.last_run_at is None
    assert upstream.completion_requests == []
