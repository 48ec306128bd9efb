"""Prompt scoring: the prompt's own tokens with their log probabilities, and its perplexity.

One request with echo and logprobs that generates nothing; a provider that gives no
log probabilities for the prompt gets an error saying so, never a made-up score.
"""

import math

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache
from django.utils import timezone

from playground.providers.capabilities import capabilities_for, record
from playground.providers.quirks import Quirk
from playground.runs.models import Run

from ..factories import make_provider
from ..fake_upstream import Reply, completion_response
from .helpers import KEY, frames_text, receive_answer, score_message, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

PROMPT = "Once upon a time"
TOKENS = ["Once", " upon", " a", " time"]
LOGPROBS = [None, -2.0, -0.5, -0.1]
OFFSETS = [0, 4, 9, 11]
NO_PROMPT_LOGPROBS = (
    "This provider returned no log probabilities for the prompt's own tokens, "
    "so the prompt cannot be scored."
)


@pytest.fixture(autouse=True)
def no_counts_carried_over():
    cache.clear()
    yield
    cache.clear()


def echoed_reply(tokens=TOKENS, logprobs=LOGPROBS, offsets=OFFSETS, text=PROMPT):
    """OpenAI's answer to echo with logprobs 1 and max_tokens 0: the prompt's tokens."""
    return Reply(
        completion_response(
            [text],
            finish_reason="length",
            logprobs={
                "tokens": tokens,
                "token_logprobs": logprobs,
                "top_logprobs": [None]
                + [{t: lp} for t, lp in zip(tokens[1:], logprobs[1:], strict=True)],
                "text_offset": offsets,
            },
        )
    )


async def score(socket, provider, **fields):
    request = fields.pop("request", "s1")
    await socket.send_json_to(score_message(provider, request=request, **fields))
    frame, _ = await receive_answer(socket, request)
    return frame


async def test_it_answers_with_each_prompt_token_and_the_perplexity(
    alice_provider, upstream, alice_socket
):
    upstream.script(echoed_reply())

    frame = await score(alice_socket, alice_provider, prompt=PROMPT)

    assert frame == {
        "type": "score.result",
        "request": "s1",
        "tokens": [
            {"text": "Once", "logprob": None, "offset": 0},
            {"text": " upon", "logprob": -2.0, "offset": 4},
            {"text": " a", "logprob": -0.5, "offset": 9},
            {"text": " time", "logprob": -0.1, "offset": 11},
        ],
        "perplexity": pytest.approx(math.exp((2.0 + 0.5 + 0.1) / 3)),
        "scored": 3,
    }


async def test_it_asks_for_the_prompt_echoed_with_logprobs_and_nothing_generated(
    alice_provider, upstream, alice_socket
):
    upstream.script(echoed_reply())

    await score(
        alice_socket,
        alice_provider,
        prompt=PROMPT,
        temperature="0.3",
        max_tokens="64",
        n="2",
        best_of="4",
        suffix="The end.",
        logprobs="3",
        stream="on",
        include_usage="on",
    )

    assert upstream.last_body == {
        "model": "fake-model",
        "prompt": PROMPT,
        "max_tokens": 0,
        "temperature": 0.3,
        "n": 1,
        "stream": False,
        "logprobs": 1,
        "echo": True,
    }


async def test_a_provider_that_reads_zero_max_tokens_as_no_limit_gets_one_and_it_is_dropped(
    alice, upstream, alice_socket
):
    provider = await database_sync_to_async(make_provider)(owner=alice, base_url=upstream.base_url)
    # As the probe finds it (providers/capabilities.py): max_tokens 0 generates anyway.
    await database_sync_to_async(record)(
        provider,
        "fake-model",
        {"max_tokens_zero": {"value": "no-limit", "evidence": "measured"}},
        timezone.now(),
    )
    assert (
        Quirk.ZERO_MAX_TOKENS_UNLIMITED.value
        in (await database_sync_to_async(capabilities_for)(provider, "fake-model")).quirks()
    )
    upstream.script(
        echoed_reply(
            tokens=[*TOKENS, " there"],
            logprobs=[*LOGPROBS, -1.5],
            offsets=[*OFFSETS, len(PROMPT)],
            text=PROMPT + " there",
        )
    )

    frame = await score(alice_socket, provider, prompt=PROMPT)

    assert upstream.last_body["max_tokens"] == 1
    assert [token["text"] for token in frame["tokens"]] == TOKENS
    assert frame["scored"] == 3
    assert frame["perplexity"] == pytest.approx(math.exp((2.0 + 0.5 + 0.1) / 3))


async def test_offsets_left_out_are_counted_from_the_echoed_prompt(
    alice_provider, upstream, alice_socket
):
    upstream.script(echoed_reply(offsets=None))

    frame = await score(alice_socket, alice_provider, prompt=PROMPT)

    assert [token["offset"] for token in frame["tokens"]] == OFFSETS


async def test_a_one_token_prompt_is_scored_with_no_logprob_and_no_perplexity(
    alice_provider, upstream, alice_socket
):
    upstream.script(echoed_reply(tokens=["Once"], logprobs=[None], offsets=[0], text="Once"))

    frame = await score(alice_socket, alice_provider, prompt="Once")

    assert frame["tokens"] == [{"text": "Once", "logprob": None, "offset": 0}]
    assert frame["perplexity"] is None
    assert frame["scored"] == 0


LLAMA_CPP_CONTENT = [{"id": 1, "token": " there", "bytes": [], "logprob": -1.0, "top_logprobs": []}]


@pytest.mark.parametrize(
    "reply",
    [
        # Echo ignored: only the generated token, after the prompt.
        echoed_reply(tokens=[" there"], logprobs=[-1.5], offsets=[16], text=" there"),
        # Echo ignored, and offsets counted from the generated text.
        echoed_reply(tokens=[" there"], logprobs=[-1.5], offsets=[0], text=" there"),
        # llama.cpp's server: the chat shape, for generated tokens only.
        Reply(completion_response([" there"], logprobs={"content": LLAMA_CPP_CONTENT})),
        # The prompt echoed, but no logprobs at all.
        Reply(completion_response([PROMPT], logprobs=None)),
        # The prompt's tokens, none with a logprob.
        echoed_reply(logprobs=[None, None, None, None]),
    ],
    ids=["no_echo", "no_echo_relative_offsets", "llama_cpp", "no_logprobs", "all_null"],
)
async def test_a_provider_without_prompt_logprobs_gets_an_error_saying_so(
    alice_provider, upstream, alice_socket, reply
):
    upstream.script(reply)

    frame = await score(alice_socket, alice_provider, prompt=PROMPT)

    assert frame == {"type": "score.error", "request": "s1", "error": NO_PROMPT_LOGPROBS}


async def test_an_empty_prompt_gets_an_error_and_sends_nothing(
    alice_provider, upstream, alice_socket
):
    frame = await score(alice_socket, alice_provider, prompt="")

    assert frame["type"] == "score.error"
    assert frame["error"] == "The prompt is empty: there is nothing to score."
    assert upstream.completion_requests == []


async def test_an_upstream_error_gets_the_providers_message_without_the_key(
    alice_provider, upstream, alice_socket
):
    upstream.script(Reply({"error": {"message": f"Echo refused for {KEY}."}}, status=500))

    frame = await score(alice_socket, alice_provider, prompt=PROMPT)

    assert frame["type"] == "score.error"
    assert frame["error"].startswith("The provider answered 500 Internal Server Error: Echo")
    assert KEY not in frames_text([frame])


async def test_an_invalid_form_gets_an_error_naming_the_field(
    alice_provider, upstream, alice_socket
):
    frame = await score(alice_socket, alice_provider, prompt=PROMPT, top_p="2")

    assert frame == {
        "type": "score.error",
        "request": "s1",
        "error": "top_p must be between 0 and 1.",
    }
    assert upstream.completion_requests == []


async def test_scoring_stores_no_run(alice_provider, upstream, alice_socket):
    upstream.script(echoed_reply())

    frame = await score(alice_socket, alice_provider, prompt=PROMPT)

    assert frame["type"] == "score.result"
    assert not await Run.objects.aexists()


async def test_a_score_and_an_explore_in_flight_together_both_answer(
    alice_provider, upstream, alice_socket
):
    # Each kind has its own request in flight: scoring the prompt does not cancel exploring.
    slow = echoed_reply()
    slow.delay = 0.3
    upstream.script(slow)
    await alice_socket.send_json_to(score_message(alice_provider, request="s1", prompt=PROMPT))
    assert await wait_for(upstream.request_received)
    upstream.script(
        Reply(
            completion_response(
                [" time"],
                logprobs={"tokens": [" time"], "token_logprobs": [-0.1], "top_logprobs": [{}]},
            )
        )
    )
    await alice_socket.send_json_to(
        {**score_message(alice_provider, request="e1", prompt="Once upon a"), "action": "explore"}
    )

    first, frames = await receive_answer(alice_socket, "e1")
    second, more = await receive_answer(alice_socket, "s1")

    assert first["type"] == "explore.result"
    assert second["type"] == "score.result"
    assert [frame["type"] for frame in frames + more] == ["explore.result", "score.result"]
