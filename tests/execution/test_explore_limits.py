"""How explorer and scoring requests count: not as runs, but against a budget of their own
(PLAYGROUND_EXPLORE_REQUESTS_PER_MINUTE a user, across sockets), and one of each kind in
flight on a socket, a newer one superseding it."""

import re

import pytest
from django.core.cache import cache

from playground.execution.limits import EXPLORE_WINDOW_SECONDS, refusal_to_explore
from playground.runs.models import Run

from ..fake_upstream import Reply, completion_response
from .helpers import (
    explore_message,
    receive_answer,
    run_and_collect,
    run_message,
    score_message,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)

REFUSAL = re.compile(
    r"You may send at most (\d+) explorer and scoring requests a minute: "
    r"try again in (\d+) seconds?\."
)


@pytest.fixture(autouse=True)
def no_counts_carried_over():
    cache.clear()
    yield
    cache.clear()


def next_token_reply(delay=0.0):
    logprobs = {"tokens": [" time"], "token_logprobs": [-0.1], "top_logprobs": [{" time": -0.1}]}
    return Reply(completion_response([" time"], logprobs=logprobs), delay=delay)


def echoed_reply():
    logprobs = {
        "tokens": ["Once", " upon"],
        "token_logprobs": [None, -2.0],
        "top_logprobs": [None, {" upon": -2.0}],
        "text_offset": [0, 4],
    }
    return Reply(completion_response(["Once upon"], logprobs=logprobs))


async def explore(socket, provider, request):
    await socket.send_json_to(explore_message(provider, request=request))
    frame, _ = await receive_answer(socket, request)
    return frame


# --- the per-minute budget, through the socket ----------------------------------------


async def test_past_the_budget_a_request_is_refused_and_says_when_to_retry(
    alice_provider, upstream, alice_socket, settings
):
    settings.PLAYGROUND_EXPLORE_REQUESTS_PER_MINUTE = 3
    upstream.default_reply = next_token_reply()
    for i in range(3):
        assert (await explore(alice_socket, alice_provider, f"e{i}"))["type"] == "explore.result"

    frame = await explore(alice_socket, alice_provider, "e3")

    assert frame["type"] == "explore.error"
    assert frame["request"] == "e3"
    assert REFUSAL.fullmatch(frame["error"])
    assert REFUSAL.fullmatch(frame["error"])[1] == "3"
    assert len(upstream.completion_requests) == 3


async def test_explores_and_scores_share_the_budget_across_the_users_sockets(
    alice, alice_provider, upstream, connect, settings
):
    settings.PLAYGROUND_EXPLORE_REQUESTS_PER_MINUTE = 2
    first, second = await connect(alice), await connect(alice)
    upstream.script(next_token_reply(), echoed_reply())
    assert (await explore(first, alice_provider, "e1"))["type"] == "explore.result"
    await second.send_json_to(score_message(alice_provider, request="s1", prompt="Once upon"))
    assert (await receive_answer(second, "s1"))[0]["type"] == "score.result"

    await second.send_json_to(score_message(alice_provider, request="s2", prompt="Once upon"))
    frame, _ = await receive_answer(second, "s2")

    assert frame["type"] == "score.error"
    assert REFUSAL.fullmatch(frame["error"])
    assert len(upstream.completion_requests) == 2


async def test_the_budget_is_per_user(
    alice, bob, alice_provider, bob_provider, upstream, connect, settings
):
    settings.PLAYGROUND_EXPLORE_REQUESTS_PER_MINUTE = 1
    upstream.default_reply = next_token_reply()
    alices, bobs = await connect(alice), await connect(bob)
    assert (await explore(alices, alice_provider, "a1"))["type"] == "explore.result"
    assert (await explore(alices, alice_provider, "a2"))["type"] == "explore.error"

    assert (await explore(bobs, bob_provider, "b1"))["type"] == "explore.result"


async def test_an_invalid_request_does_not_count(alice_provider, upstream, alice_socket, settings):
    settings.PLAYGROUND_EXPLORE_REQUESTS_PER_MINUTE = 1
    upstream.default_reply = next_token_reply()
    await alice_socket.send_json_to(explore_message(alice_provider, request="bad", temperature="9"))
    assert (await receive_answer(alice_socket, "bad"))[0]["type"] == "explore.error"

    assert (await explore(alice_socket, alice_provider, "good"))["type"] == "explore.result"


async def test_explores_do_not_count_against_the_run_caps(
    alice_provider, upstream, alice_socket, settings
):
    settings.PLAYGROUND_RUNS_PER_MINUTE = 1
    upstream.script(next_token_reply(), next_token_reply(), next_token_reply())
    for i in range(3):
        assert (await explore(alice_socket, alice_provider, f"e{i}"))["type"] == "explore.result"

    frames = await run_and_collect(alice_socket, run_message(alice_provider, prompt="Hi"))

    assert frames[-1]["status"] == "completed"
    assert await Run.objects.acount() == 1


async def test_runs_do_not_count_against_the_explore_budget(
    alice_provider, upstream, alice_socket, settings
):
    settings.PLAYGROUND_EXPLORE_REQUESTS_PER_MINUTE = 1
    for _ in range(2):
        frames = await run_and_collect(alice_socket, run_message(alice_provider, prompt="Hi"))
        assert frames[-1]["status"] == "completed"
    upstream.script(next_token_reply())

    assert (await explore(alice_socket, alice_provider, "e1"))["type"] == "explore.result"


async def test_a_budget_of_0_is_no_cap(alice_provider, upstream, alice_socket, settings):
    settings.PLAYGROUND_EXPLORE_REQUESTS_PER_MINUTE = 0
    upstream.default_reply = next_token_reply()

    for i in range(5):
        assert (await explore(alice_socket, alice_provider, f"e{i}"))["type"] == "explore.result"


# --- one of each kind in flight on a socket -------------------------------------------


async def test_a_newer_explore_supersedes_the_one_in_flight_and_hangs_it_up(
    alice_provider, upstream, alice_socket
):
    upstream.script(next_token_reply(delay=3), next_token_reply())
    await alice_socket.send_json_to(explore_message(alice_provider, request="old"))
    assert await wait_for(upstream.request_received)

    await alice_socket.send_json_to(explore_message(alice_provider, request="new"))
    old, frames = await receive_answer(alice_socket, "old")
    new, more = await receive_answer(alice_socket, "new")

    assert old == {
        "type": "explore.error",
        "request": "old",
        "error": "Superseded by a newer request of this kind from this page; it was cancelled.",
    }
    assert new["type"] == "explore.result"
    # One answer each, and the old request's connection was closed, not left to finish.
    assert [frame["type"] for frame in frames + more] == ["explore.error", "explore.result"]
    assert await wait_for(upstream.client_disconnected)


async def test_closing_the_socket_hangs_up_an_explore_in_flight(
    alice, alice_provider, upstream, connect
):
    socket = await connect(alice)
    upstream.script(next_token_reply(delay=3))
    await socket.send_json_to(explore_message(alice_provider, request="e1"))
    assert await wait_for(upstream.request_received)

    await socket.disconnect()

    assert await wait_for(upstream.client_disconnected)


# --- the sliding minute ---------------------------------------------------------------


def ten_seconds_into(window: int) -> float:
    """A moment in a window far from now, so no real request shares its counts; each test
    has windows of its own."""
    return EXPLORE_WINDOW_SECONDS * window + 10


def test_requests_are_refused_past_the_cap_and_told_when_the_minute_allows_one_more(
    alice, settings
):
    settings.PLAYGROUND_EXPLORE_REQUESTS_PER_MINUTE = 4
    start = ten_seconds_into(1_000_000)
    assert [refusal_to_explore(alice, now=start) for _ in range(4)] == [""] * 4

    refusal = refusal_to_explore(alice, now=start)

    # These 4 count in full until the next window begins (50 s), then slide out evenly:
    # one of them by a quarter of a minute into it.
    assert REFUSAL.fullmatch(refusal)[2] == "65"
    assert refusal_to_explore(alice, now=start + 64)
    assert refusal_to_explore(alice, now=start + 65) == ""
    # That one filled the minute again.
    assert refusal_to_explore(alice, now=start + 66)


def test_a_refused_request_does_not_count(alice, settings):
    settings.PLAYGROUND_EXPLORE_REQUESTS_PER_MINUTE = 2
    start = ten_seconds_into(2_000_000)
    assert refusal_to_explore(alice, now=start) == ""
    assert refusal_to_explore(alice, now=start) == ""
    for _ in range(10):
        refusal = refusal_to_explore(alice, now=start + 1)
        assert REFUSAL.fullmatch(refusal)[2] == "79"

    # Half a minute into the next window, the 2 count as 1; had the 10 refusals counted,
    # they would count as 6.
    assert refusal_to_explore(alice, now=start + 80) == ""


def test_a_burst_at_the_end_of_a_window_still_counts_at_the_start_of_the_next(alice, settings):
    settings.PLAYGROUND_EXPLORE_REQUESTS_PER_MINUTE = 3
    end_of_window = ten_seconds_into(3_000_000) - 10 + EXPLORE_WINDOW_SECONDS - 0.01
    assert [refusal_to_explore(alice, now=end_of_window) for _ in range(3)] == [""] * 3

    assert refusal_to_explore(alice, now=end_of_window + 0.02)
