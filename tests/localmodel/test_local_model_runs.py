"""Runs against the real local model through the playground's own path: socket, httpx, store."""

import httpx
import pytest
from channels.db import database_sync_to_async

from playground.localmodel.provider import sync_local_provider
from playground.runs.models import Run, RunStatus

pytestmark = [pytest.mark.localmodel, pytest.mark.django_db(transaction=True)]

PROMPT = "The capital of France is"


async def run_to_end(socket, provider, stop_after_first_delta=False, **fields):
    message = {"action": "run", "provider": provider.pk, "model": provider.default_model}
    message.update({"stream": "on", "prompt": PROMPT, "max_tokens": "12", **fields})
    await socket.send_json_to(message)
    frames = []
    while True:
        frame = await socket.receive_json_from(timeout=120)
        frames.append(frame)
        if frame["type"] == "delta" and stop_after_first_delta:
            await socket.send_json_to({"action": "stop"})
            stop_after_first_delta = False
        if frame["type"] in ("run.finished", "form.invalid", "error"):
            run = await Run.objects.aget(pk=frame["run"]) if "run" in frame else None
            return frames, run


async def test_a_streamed_completion_arrives_in_several_frames(alice, local_provider, connect):
    socket = await connect(alice)
    frames, run = await run_to_end(socket, local_provider, temperature="0")

    deltas = [f for f in frames if f["type"] == "delta"]
    assert len(deltas) >= 2
    assert run.status == RunStatus.COMPLETED
    assert run.choices[0]["text"] == "".join(f["choices"]["0"] for f in deltas)
    assert run.choices[0]["text"].strip()


async def test_logprobs_bring_top_alternatives(alice, local_provider, connect):
    socket = await connect(alice)
    frames, run = await run_to_end(socket, local_provider, temperature="0", logprobs="3")

    logprobs = run.choices[0]["logprobs"]
    assert logprobs["tokens"]
    assert all(1 <= len(alternatives) <= 4 for alternatives in logprobs["top_logprobs"])
    assert 'data-tip="' in frames[-1]["html"]
    assert "Top alternatives" in frames[-1]["html"]


async def test_echo_returns_the_prompt_first(alice, local_provider, connect):
    socket = await connect(alice)
    _, run = await run_to_end(socket, local_provider, temperature="0", echo="on")

    assert run.choices[0]["text"].startswith(PROMPT)
    assert len(run.choices[0]["text"]) > len(PROMPT)
    assert run.choices[0]["text"].count(PROMPT) == 1


async def test_a_stop_sequence_ends_the_text(alice, local_provider, connect):
    socket = await connect(alice)
    _, free_run = await run_to_end(socket, local_provider, temperature="0")
    assert "." in free_run.choices[0]["text"]

    _, stopped_run = await run_to_end(socket, local_provider, temperature="0", stop=["."])

    assert "." not in stopped_run.choices[0]["text"]
    assert stopped_run.choices[0]["finish_reason"] == "stop"
    assert free_run.choices[0]["text"].startswith(stopped_run.choices[0]["text"])


async def test_the_same_seed_gives_the_same_text(alice, local_provider, connect):
    socket = await connect(alice)
    fields = {"temperature": "0.8", "seed": "1234", "max_tokens": "20"}
    _, first = await run_to_end(socket, local_provider, **fields)
    _, second = await run_to_end(socket, local_provider, **fields)

    assert first.choices[0]["text"] == second.choices[0]["text"]


async def test_logit_bias_bans_the_first_token(alice, local_provider, local_model_server, connect):
    socket = await connect(alice)
    _, plain = await run_to_end(socket, local_provider, temperature="0", logprobs="1")
    first_token = plain.choices[0]["logprobs"]["tokens"][0]
    async with httpx.AsyncClient() as client:
        response = await client.post(
            local_model_server.base_url.removesuffix("/v1") + "/extras/tokenize",
            json={"input": first_token, "add_bos": False},
        )
    token_ids = [t for t in response.json()["tokens"] if t != 2]  # 2 is Gemma's BOS
    assert len(token_ids) == 1

    _, biased = await run_to_end(
        socket,
        local_provider,
        temperature="0",
        logprobs="1",
        logit_bias={str(token_ids[0]): -100},
    )

    assert biased.request_body["logit_bias"] == {str(token_ids[0]): -100}
    assert biased.choices[0]["logprobs"]["tokens"][0] != first_token
    assert biased.choices[0]["text"] != plain.choices[0]["text"]


async def test_stop_cancels_generation_mid_stream(alice, local_provider, connect):
    socket = await connect(alice)
    _, run = await run_to_end(
        socket, local_provider, stop_after_first_delta=True, max_tokens="1500", temperature="1"
    )

    assert run.status == RunStatus.STOPPED
    assert run.choices and run.choices[0]["text"]
    assert run.completion_tokens < 1500
    # The server is free again: the next run completes.
    _, next_run = await run_to_end(socket, local_provider, temperature="0", max_tokens="4")
    assert next_run.status == RunStatus.COMPLETED


async def test_n_above_one_is_one_request(alice, local_provider, connect):
    socket = await connect(alice)
    _, run = await run_to_end(socket, local_provider, n="2", temperature="1", max_tokens="6")

    assert run.status == RunStatus.COMPLETED
    assert [c["index"] for c in run.choices] == [0, 1]
    assert all(c["text"] for c in run.choices)
    assert run.sent_requests == [{"times": 1, "changed": {}}]
    assert not run.notices


async def test_a_list_of_prompts_is_one_request(alice, local_provider, connect):
    socket = await connect(alice)
    _, run = await run_to_end(
        socket,
        local_provider,
        prompt="",
        prompt_json='["1, 2, 3, 4,", "The capital of France is"]',
        temperature="0",
        max_tokens="4",
    )

    assert run.status == RunStatus.COMPLETED
    assert [c["index"] for c in run.choices] == [0, 1]
    assert run.choices[0]["text"] != run.choices[1]["text"]
    assert run.sent_requests == [{"times": 1, "changed": {}}]


async def test_best_of_is_honoured(alice, local_provider, connect):
    socket = await connect(alice)
    _, run = await run_to_end(
        socket,
        local_provider,
        stream="",
        best_of="3",
        temperature="1",
        max_tokens="4",
        logit_bias={"1": -100, "106": -100},  # <eos> and <end_of_turn>: 4 tokens each
    )

    assert run.status == RunStatus.COMPLETED
    assert len(run.choices) == 1
    assert not run.notices
    # usage counts the three choices it chose from.
    assert run.completion_tokens == 12


async def test_max_tokens_zero_with_echo_and_logprobs_scores_the_prompt(
    alice, local_provider, connect
):
    socket = await connect(alice)
    _, run = await run_to_end(
        socket, local_provider, stream="", max_tokens="0", echo="on", logprobs="5"
    )

    assert run.status == RunStatus.COMPLETED
    choice = run.choices[0]
    assert choice["text"] == PROMPT
    assert choice["finish_reason"] == "length"
    assert "".join(choice["logprobs"]["tokens"]) == PROMPT
    assert choice["logprobs"]["token_logprobs"][0] is None
    assert all(lp < 0 for lp in choice["logprobs"]["token_logprobs"][1:])
    assert not run.notices


async def test_a_token_array_prompt_completes(alice, local_provider, connect):
    socket = await connect(alice)
    _, run = await run_to_end(
        socket, local_provider, prompt="", prompt_json="[2, 818, 5279, 529, 7001, 563]"
    )

    assert run.status == RunStatus.COMPLETED
    assert run.choices[0]["text"]


async def test_a_down_local_server_is_reported_without_hanging(alice, connect):
    provider = await database_sync_to_async(sync_local_provider)("http://127.0.0.1:9/v1")
    socket = await connect(alice)
    _, run = await run_to_end(socket, provider)

    assert run.status == RunStatus.FAILED
    assert "Could not connect" in run.error
