"""Each token's logprobs reach the page while the run streams, in a tokens frame that comes
right after the delta frame carrying its text."""

import itertools
import json

import pytest

from playground.providers.quirks import Quirk
from playground.runs.models import Run

from ..fake_upstream import SSE, Reply, completion_chunk, completion_response, token_stream
from .helpers import run_and_collect, run_message, streamed_texts
from .test_consumer_run_card import quirky_provider

pytestmark = pytest.mark.django_db(transaction=True)


def logprobs(*tokens):
    """A chunk's logprobs in OpenAI's shape, from (text, logprob, top) triples."""
    return {
        "tokens": [text for text, _, _ in tokens],
        "token_logprobs": [logprob for _, logprob, _ in tokens],
        "top_logprobs": [top for _, _, top in tokens],
        "text_offset": list(range(len(tokens))),
    }


def chunk(*tokens, index=0, **fields):
    """A stream chunk whose text is its tokens' text, with their logprobs."""
    text = "".join(text for text, _, _ in tokens)
    return completion_chunk(text, index=index, logprobs=logprobs(*tokens), **fields)


def streamed_tokens(frames) -> dict[str, list]:
    tokens: dict[str, list] = {}
    for frame in frames:
        if frame["type"] == "tokens":
            for index, entries in frame["choices"].items():
                tokens.setdefault(index, []).extend(entries)
    return tokens


def assert_text_comes_first(frames):
    """Each tokens frame follows a delta of its run, and its tokens' text has been sent."""
    texts: dict[str, str] = {}
    tokens: dict[str, str] = {}
    for previous, frame in itertools.pairwise(frames):
        if frame["type"] == "delta":
            for index, text in frame["choices"].items():
                texts[index] = texts.get(index, "") + text
        if frame["type"] == "tokens":
            assert (previous["type"], previous["run"]) == ("delta", frame["run"])
            for index, entries in frame["choices"].items():
                tokens[index] = tokens.get(index, "") + "".join(e[0] for e in entries)
                assert texts.get(index, "").startswith(tokens[index])


STREAMED = [
    (" Once", None, None),
    (" upon", -0.25, {" upon": -0.25, " there": -1.5}),
    (" a", -0.01, {" a": -0.01}),
    (" time", -0.5, {" time": -0.5, " day": -2.0}),
    (".", -1.25, {".": -1.25, ",": -1.75}),
]


async def test_each_tokens_logprobs_follow_its_text_as_it_streams(
    alice_provider, upstream, alice_socket
):
    events = [chunk(token) for token in STREAMED]
    events.append(completion_chunk("", finish_reason="stop"))
    upstream.script(SSE(events, delay=0.03))

    frames = await run_and_collect(
        alice_socket, run_message(alice_provider, prompt="x", logprobs="2")
    )

    assert streamed_tokens(frames) == {"0": [list(token) for token in STREAMED]}
    assert streamed_texts(frames) == {"0": " Once upon a time."}
    assert len([f for f in frames if f["type"] == "tokens"]) >= 2
    assert_text_comes_first(frames)
    assert frames[-1]["status"] == "completed"


async def test_a_chunk_of_several_tokens_sends_them_all_in_order(
    alice_provider, upstream, alice_socket
):
    upstream.script(SSE([chunk(*STREAMED[:3]), chunk(*STREAMED[3:])], delay=0.03))

    frames = await run_and_collect(
        alice_socket, run_message(alice_provider, prompt="x", logprobs="2")
    )

    assert streamed_tokens(frames) == {"0": [list(token) for token in STREAMED]}
    assert_text_comes_first(frames)


async def test_two_choices_interleaved_get_their_own_tokens(alice_provider, upstream, alice_socket):
    first = [("red", -0.5, {"red": -0.5}), (" green", -0.25, None), (" blue", -2.0, None)]
    second = [("RED", -1.0, None), (" GREEN", -3.0, {" GREEN": -3.0}), (" BLUE", -0.125, None)]
    events = []
    for one, other in zip(first, second, strict=True):
        events += [chunk(one, index=0), chunk(other, index=1)]
    upstream.script(SSE(events, delay=0.01))

    frames = await run_and_collect(
        alice_socket, run_message(alice_provider, prompt="x", n="2", logprobs="1")
    )

    assert streamed_tokens(frames) == {
        "0": [list(token) for token in first],
        "1": [list(token) for token in second],
    }
    assert_text_comes_first(frames)


async def test_a_whole_response_sends_one_delta_then_one_tokens_frame(
    alice_provider, upstream, alice_socket
):
    whole = logprobs(("Whole", -0.5, {"Whole": -0.5}), (" answer", -0.75, {" answer": -0.75}))
    upstream.script(Reply(completion_response(["Whole answer", "Whole answer"], logprobs=whole)))

    frames = await run_and_collect(
        alice_socket, run_message(alice_provider, stream="", n="2", logprobs="1")
    )

    assert [f["type"] for f in frames] == ["run.started", "delta", "tokens", "run.finished"]
    entries = [["Whole", -0.5, {"Whole": -0.5}], [" answer", -0.75, {" answer": -0.75}]]
    assert frames[2]["choices"] == {"0": entries, "1": entries}
    assert frames[2]["run"] == frames[0]["run"]


async def test_a_run_without_logprobs_sends_no_tokens_frame(alice_provider, upstream, alice_socket):
    upstream.script(SSE(token_stream(["No", " logprobs", " here"]), delay=0.01))

    frames = await run_and_collect(alice_socket, run_message(alice_provider, prompt="x"))

    assert streamed_texts(frames) == {"0": "No logprobs here"}
    assert "tokens" not in {frame["type"] for frame in frames}


async def test_tokens_past_the_output_cap_are_not_sent(
    alice_provider, upstream, alice_socket, settings
):
    settings.PLAYGROUND_MAX_OUTPUT_CHARS = 7
    upstream.script(
        SSE(
            [
                chunk(("Hel", -0.1, None), ("lo", -0.2, None)),
                chunk((" wo", -0.3, None), ("rld", -0.4, None)),
            ]
        )
    )

    frames = await run_and_collect(
        alice_socket, run_message(alice_provider, prompt="x", logprobs="1")
    )

    assert frames[-1]["status"] == "failed"
    assert streamed_texts(frames) == {"0": "Hello w"}
    # " wo" ends past the cap: only the tokens whose whole text was kept.
    assert streamed_tokens(frames) == {"0": [["Hel", -0.1, None], ["lo", -0.2, None]]}
    run = await Run.objects.aget(pk=frames[-1]["run"])
    assert run.choices[0]["logprobs"]["tokens"] == ["Hel", "lo"]


async def test_a_prompt_the_playground_echoes_itself_has_no_tokens(alice, upstream, alice_socket):
    provider = await quirky_provider(alice, upstream, Quirk.NO_STREAMED_ECHO)
    upstream.script(SSE([chunk((" there", -0.5, None)), chunk(("!", -0.25, None))]))

    frames = await run_and_collect(
        alice_socket, run_message(provider, prompt="Hi", echo="on", logprobs="1")
    )

    assert streamed_texts(frames) == {"0": "Hi there!"}
    assert streamed_tokens(frames) == {"0": [[" there", -0.5, None], ["!", -0.25, None]]}


async def test_a_logprob_that_is_not_a_finite_number_is_sent_as_null(
    alice_provider, upstream, alice_socket
):
    # Python servers write float("-inf") so; it is no JSON, and a page cannot read it back.
    data = json.dumps(
        chunk(("a", -0.5, {"a": -0.5, "b": float("nan")}), ("b", float("-inf"), None))
    )
    assert "NaN" in data and "-Infinity" in data
    upstream.script(SSE([f"data: {data}\n\n"]))

    frames = await run_and_collect(
        alice_socket, run_message(alice_provider, prompt="x", logprobs="1")
    )

    assert streamed_tokens(frames) == {
        "0": [["a", -0.5, {"a": -0.5, "b": None}], ["b", None, None]]
    }
