"""Runs work around what the probe measured of the provider and the run's model."""

import pytest
from asgiref.sync import sync_to_async

from playground.providers.probe import probe_and_record
from playground.runs.models import Run

from ..execution.helpers import run_and_collect, run_message
from ..fake_upstream import SSE, token_stream
from .fake_provider import LLAMA_CPP_PYTHON, Honours, openai_like

pytestmark = pytest.mark.django_db(transaction=True)


async def probed(provider, upstream, honours, model="fake-model"):
    upstream.respond_with(openai_like(honours))
    await sync_to_async(probe_and_record)(provider, model)
    upstream.requests.clear()


async def test_n_is_split_where_the_probe_found_one_choice_per_request(
    alice_provider, upstream, alice_socket
):
    await probed(alice_provider, upstream, LLAMA_CPP_PYTHON)
    upstream.script(SSE(token_stream(["A"])), SSE(token_stream(["B"])))

    frames = await run_and_collect(alice_socket, run_message(alice_provider, prompt="Hi", n="2"))

    assert [r.body["n"] for r in upstream.completion_requests] == [1, 1]
    run = await Run.objects.aget(pk=frames[-1]["run"])
    assert run.sent_requests == [{"times": 2, "changed": {"n": 1}}]
    assert any("returns one choice per request" in note for note in run.notices)


async def test_n_goes_as_asked_where_the_probe_found_it_honoured(
    alice_provider, upstream, alice_socket
):
    await probed(alice_provider, upstream, Honours())
    upstream.script(SSE(token_stream(["A"])))

    await run_and_collect(alice_socket, run_message(alice_provider, prompt="Hi", n="2"))

    assert [r.body["n"] for r in upstream.completion_requests] == [2]


async def test_quirks_are_the_run_models_own(alice_provider, upstream, alice_socket):
    await probed(alice_provider, upstream, Honours(), model="fake-model")
    await probed(alice_provider, upstream, LLAMA_CPP_PYTHON, model="other-model")
    upstream.script(*[SSE(token_stream(["A"])) for _ in range(3)])

    await run_and_collect(alice_socket, run_message(alice_provider, model="other-model", n="2"))
    await run_and_collect(alice_socket, run_message(alice_provider, model="fake-model", n="2"))

    assert [r.body["n"] for r in upstream.completion_requests] == [1, 1, 2]


async def test_a_model_never_probed_is_sent_as_asked(alice_provider, upstream, alice_socket):
    await probed(alice_provider, upstream, LLAMA_CPP_PYTHON, model="other-model")
    upstream.script(SSE(token_stream(["A"])))

    await run_and_collect(alice_socket, run_message(alice_provider, prompt="Hi", n="2"))

    # fake-model was never probed: nothing is known of it, so nothing is worked around.
    assert [r.body["n"] for r in upstream.completion_requests] == [2]


async def test_the_prompt_is_put_before_the_text_where_streamed_echo_is_ignored(
    alice_provider, upstream, alice_socket
):
    await probed(alice_provider, upstream, LLAMA_CPP_PYTHON)
    upstream.script(SSE(token_stream([" there"])))

    frames = await run_and_collect(
        alice_socket, run_message(alice_provider, prompt="Hi", echo="on")
    )

    run = await Run.objects.aget(pk=frames[-1]["run"])
    assert run.choices[0]["text"] == "Hi there"
