"""The next-token explorer: one token's distribution at the cursor, by one small request.

It sends the form's parameters with max_tokens 1, answers with the token sampled and its
alternatives, stores nothing, and runs beside a run without either disturbing the other.
"""

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache

from playground.runs.models import Run
from playground.sessions.models import PlaygroundSession

from ..factories import make_session
from ..fake_upstream import SSE, Reply, completion_response, token_stream
from .helpers import (
    KEY,
    collect_until_finished,
    explore_message,
    frames_text,
    receive_answer,
    receive_until,
    run_message,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)

PROMPT = "Once upon a"
TOP = {" time": -0.05, " day": -3.2, " midnight": -4.1}


@pytest.fixture(autouse=True)
def no_counts_carried_over():
    # The per-minute budget lives in the cache, which outlives a test (Redis, too).
    cache.clear()
    yield
    cache.clear()


def next_token_reply(chosen=" time", chosen_logprob=-0.05, top=None, finish_reason="length"):
    """OpenAI's answer to max_tokens 1 with logprobs: the legacy completions shape."""
    logprobs = {
        "tokens": [chosen],
        "token_logprobs": [chosen_logprob],
        "top_logprobs": [TOP if top is None else top],
        "text_offset": [len(PROMPT)],
    }
    return Reply(completion_response([chosen], finish_reason=finish_reason, logprobs=logprobs))


async def explore(socket, provider, **fields):
    request = fields.pop("request", "e1")
    await socket.send_json_to(explore_message(provider, request=request, **fields))
    frame, _ = await receive_answer(socket, request)
    return frame


async def test_it_answers_with_the_token_sampled_and_the_alternatives_likeliest_first(
    alice_provider, upstream, alice_socket
):
    upstream.script(next_token_reply())

    frame = await explore(alice_socket, alice_provider, prompt=PROMPT)

    assert frame == {
        "type": "explore.result",
        "request": "e1",
        "prompt_chars": len(PROMPT),
        "chosen": " time",
        "alternatives": [
            {"text": " time", "logprob": -0.05},
            {"text": " day", "logprob": -3.2},
            {"text": " midnight", "logprob": -4.1},
        ],
    }


async def test_the_token_sampled_is_among_the_alternatives_even_when_top_logprobs_leaves_it_out(
    alice_provider, upstream, alice_socket
):
    # Sampled at temperature 2, a token can come from outside the top few.
    upstream.script(next_token_reply(chosen=" fortnight", chosen_logprob=-7.5))

    frame = await explore(alice_socket, alice_provider, prompt=PROMPT)

    assert frame["chosen"] == " fortnight"
    assert frame["alternatives"][-1] == {"text": " fortnight", "logprob": -7.5}
    assert [a["text"] for a in frame["alternatives"]] == [
        " time",
        " day",
        " midnight",
        " fortnight",
    ]


async def test_it_sends_one_token_with_the_logprobs_asked_and_the_forms_sampling_parameters(
    alice_provider, upstream, alice_socket
):
    upstream.script(next_token_reply())

    await explore(
        alice_socket,
        alice_provider,
        prompt=PROMPT,
        logprobs=20,
        temperature="0.7",
        top_p="0.9",
        presence_penalty="0.5",
        frequency_penalty="0.25",
        seed="7",
        stop=["\\n"],
        logit_bias_token=["50256"],
        logit_bias_bias=["-100"],
        # What the explorer sets itself: the form's values for these are not sent.
        max_tokens="200",
        n="3",
        best_of="5",
        echo="on",
        suffix="The end.",
        include_usage="on",
        stream="on",
    )

    assert upstream.last_body == {
        "model": "fake-model",
        "prompt": PROMPT,
        "max_tokens": 1,
        "temperature": 0.7,
        "top_p": 0.9,
        "n": 1,
        "stream": False,
        "logprobs": 20,
        "stop": ["\n"],
        "presence_penalty": 0.5,
        "frequency_penalty": 0.25,
        "logit_bias": {"50256": -100},
        "seed": 7,
    }


@pytest.mark.parametrize("asked, sent", [(500, 100), (0, 1), (-3, 1), ("12", 12), (None, 5)])
async def test_logprobs_is_held_between_1_and_100_not_to_the_schemas_5(
    alice_provider, upstream, alice_socket, asked, sent
):
    upstream.script(next_token_reply())

    await explore(alice_socket, alice_provider, logprobs=asked)

    assert upstream.last_body["logprobs"] == sent


async def test_logprobs_that_is_no_number_gets_an_error_naming_it(
    alice_provider, upstream, alice_socket
):
    frame = await explore(alice_socket, alice_provider, logprobs="lots")

    assert frame["type"] == "explore.error"
    assert frame["error"].startswith("logprobs must be a whole number")
    assert upstream.completion_requests == []


async def test_it_reads_llama_cpp_servers_chat_shaped_logprobs(
    alice_provider, upstream, alice_socket
):
    # llama.cpp's server answers /v1/completions with logprobs in the chat shape.
    content = [
        {
            "id": 931,
            "token": " time",
            "bytes": [32, 116, 105, 109, 101],
            "logprob": -0.2,
            "top_logprobs": [
                {"id": 931, "token": " time", "bytes": [], "logprob": -0.2},
                {"id": 1938, "token": " day", "bytes": [], "logprob": -2.0},
            ],
        }
    ]
    upstream.script(Reply(completion_response([" time"], logprobs={"content": content})))

    frame = await explore(alice_socket, alice_provider, prompt=PROMPT)

    assert frame["chosen"] == " time"
    assert frame["alternatives"] == [
        {"text": " time", "logprob": -0.2},
        {"text": " day", "logprob": -2.0},
    ]


@pytest.mark.parametrize("logprobs", [None, {}, {"tokens": []}], ids=["null", "empty", "no_tokens"])
async def test_a_provider_that_returns_no_probabilities_gets_an_error_saying_so(
    alice_provider, upstream, alice_socket, logprobs
):
    upstream.script(Reply(completion_response([" time"], logprobs=logprobs)))

    frame = await explore(alice_socket, alice_provider)

    assert frame == {
        "type": "explore.error",
        "request": "e1",
        "error": "The provider returned no probabilities for the next token.",
    }


async def test_an_upstream_error_gets_the_providers_message_without_the_key(
    alice_provider, upstream, alice_socket
):
    message = f"Internal error with key {KEY} while sampling"
    upstream.script(Reply({"error": {"message": message}}, status=500))

    frame = await explore(alice_socket, alice_provider)

    assert frame["type"] == "explore.error"
    assert frame["request"] == "e1"
    assert frame["error"].startswith("The provider answered 500 Internal Server Error: ")
    assert "while sampling" in frame["error"]
    assert KEY not in frames_text([frame])


async def test_a_provider_that_cannot_be_reached_gets_an_error(
    alice, upstream, alice_socket, alice_provider
):
    await (
        type(alice_provider)
        .objects.filter(pk=alice_provider.pk)
        .aupdate(base_url="http://127.0.0.1:9/v1")
    )

    frame = await explore(alice_socket, alice_provider)

    assert frame["type"] == "explore.error"
    assert frame["error"].startswith("Could not connect to http://127.0.0.1:9/v1")


@pytest.mark.parametrize(
    "fields, error",
    [
        ({"temperature": "5"}, "temperature must be between 0 and 2."),
        ({"model": ""}, "model is required: type or pick a model."),
        ({"logit_bias_token": ["x"], "logit_bias_bias": ["1"]}, "logit_bias: token id 'x'"),
    ],
    ids=["temperature", "model", "logit_bias"],
)
async def test_an_invalid_form_gets_one_error_naming_the_field_and_sends_nothing(
    alice_provider, upstream, alice_socket, fields, error
):
    frame = await explore(alice_socket, alice_provider, **fields)

    assert frame["type"] == "explore.error"
    assert frame["request"] == "e1"
    assert frame["error"].startswith(error)
    assert upstream.completion_requests == []


async def test_a_provider_that_is_not_yours_gets_an_error_naming_the_provider(
    bob_provider, upstream, alice_socket
):
    frame = await explore(alice_socket, bob_provider)

    assert frame["type"] == "explore.error"
    assert frame["error"] == "Choose one of your providers."
    assert upstream.completion_requests == []


async def test_a_message_without_a_request_id_gets_an_error(alice_provider, upstream, alice_socket):
    message = explore_message(alice_provider)
    del message["request"]

    await alice_socket.send_json_to(message)
    frame = await alice_socket.receive_json_from(timeout=5)

    assert frame["type"] == "error"
    assert "request id" in frame["error"]
    assert upstream.completion_requests == []


async def test_exploring_stores_no_run_and_leaves_the_session_as_it_was(
    alice, alice_provider, upstream, alice_socket
):
    session = await database_sync_to_async(make_session)(alice, alice_provider, prompt="Kept")
    upstream.script(next_token_reply())

    frame = await explore(alice_socket, alice_provider, prompt=PROMPT, session=session.pk)

    assert frame["type"] == "explore.result"
    assert not await Run.objects.aexists()
    session = await PlaygroundSession.objects.aget(pk=session.pk)
    assert session.prompt == "Kept"
    assert session.last_run_at is None
    assert await PlaygroundSession.objects.acount() == 1


async def test_a_run_and_an_explore_at_the_same_time_both_complete(
    alice_provider, upstream, alice_socket
):
    tokens = [f" t{i}" for i in range(20)]
    upstream.script(SSE(token_stream(tokens), delay=0.05))
    await alice_socket.send_json_to(run_message(alice_provider, prompt="Go"))
    frames = await receive_until(alice_socket, "delta")
    upstream.script(next_token_reply())

    await alice_socket.send_json_to(explore_message(alice_provider, prompt=PROMPT))
    answer, more = await receive_answer(alice_socket, "e1")
    frames += more

    assert answer["type"] == "explore.result"
    # The run was still streaming when the answer came.
    assert not any(frame["type"] == "run.finished" for frame in frames)
    frames += await collect_until_finished(alice_socket)
    assert frames[-1]["status"] == "completed"
    assert await Run.objects.acount() == 1


async def test_stopping_a_run_leaves_an_explore_in_flight_alone(
    alice_provider, upstream, alice_socket
):
    upstream.script(SSE(token_stream([f" t{i}" for i in range(100)]), delay=0.05))
    await alice_socket.send_json_to(run_message(alice_provider, prompt="Go"))
    await receive_until(alice_socket, "delta")
    upstream.request_received.clear()
    reply = next_token_reply()
    reply.delay = 0.5
    upstream.script(reply)
    await alice_socket.send_json_to(explore_message(alice_provider, prompt=PROMPT))
    assert await wait_for(upstream.request_received)

    await alice_socket.send_json_to({"action": "stop"})
    # Both end, in either order: the run stopped at once, the explore when its answer came.
    by_type = {}
    while not {"run.finished", "explore.result"} <= by_type.keys():
        frame = await alice_socket.receive_json_from(timeout=5)
        by_type[frame["type"]] = frame

    assert by_type["run.finished"]["status"] == "stopped"
    assert by_type["explore.result"]["request"] == "e1"


async def test_stop_without_a_run_leaves_an_explore_in_flight_alone(
    alice_provider, upstream, alice_socket
):
    reply = next_token_reply()
    reply.delay = 0.3
    upstream.script(reply)
    await alice_socket.send_json_to(explore_message(alice_provider, prompt=PROMPT))
    assert await wait_for(upstream.request_received)

    await alice_socket.send_json_to({"action": "stop"})
    answer, frames = await receive_answer(alice_socket, "e1")

    assert frames[0] == {"type": "error", "error": "No run is in progress."}
    assert answer["type"] == "explore.result"
