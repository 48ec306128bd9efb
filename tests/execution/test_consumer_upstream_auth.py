"""The provider's key and extra headers reach upstream, and the key goes nowhere else."""

import json

import pytest
from asgiref.sync import sync_to_async

from playground.providers.models import AuthStyle
from playground.runs.models import Run

from ..factories import make_provider
from ..fake_upstream import SSE, Reply, completion_chunk
from .helpers import KEY, frames_text, run_and_collect, run_message

pytestmark = pytest.mark.django_db(transaction=True)


async def make_alice_provider(alice, upstream, **fields):
    return await sync_to_async(make_provider)(owner=alice, base_url=upstream.base_url, **fields)


async def test_bearer_style_sends_an_authorization_header(alice, upstream, alice_socket):
    provider = await make_alice_provider(alice, upstream, auth_style=AuthStyle.BEARER)

    await run_and_collect(alice_socket, run_message(provider, prompt="x"))

    assert upstream.last_headers["authorization"] == f"Bearer {KEY}"
    assert "api-key" not in upstream.last_headers


async def test_api_key_style_sends_an_api_key_header(alice, upstream, alice_socket):
    provider = await make_alice_provider(alice, upstream, auth_style=AuthStyle.API_KEY)

    await run_and_collect(alice_socket, run_message(provider, prompt="x"))

    assert upstream.last_headers["api-key"] == KEY
    assert "authorization" not in upstream.last_headers


async def test_no_auth_style_sends_no_key(alice, upstream, alice_socket):
    provider = await make_alice_provider(alice, upstream, auth_style=AuthStyle.NONE)

    await run_and_collect(alice_socket, run_message(provider, prompt="x"))

    assert "authorization" not in upstream.last_headers
    assert "api-key" not in upstream.last_headers
    assert KEY not in json.dumps(upstream.last_headers)


async def test_a_provider_without_key_sends_no_authorization(alice, upstream, alice_socket):
    provider = await make_alice_provider(alice, upstream, api_key="")

    await run_and_collect(alice_socket, run_message(provider, prompt="x"))

    assert "authorization" not in upstream.last_headers


async def test_extra_headers_reach_upstream(alice, upstream, alice_socket):
    headers = {"OpenAI-Organization": "org-abc", "OpenAI-Project": "proj_123"}
    provider = await make_alice_provider(alice, upstream, extra_headers=json.dumps(headers))

    await run_and_collect(alice_socket, run_message(provider, prompt="x"))

    assert upstream.last_headers["openai-organization"] == "org-abc"
    assert upstream.last_headers["openai-project"] == "proj_123"
    assert upstream.last_headers["authorization"] == f"Bearer {KEY}"


async def test_requests_are_json_posts_to_the_completions_path(
    alice_provider, upstream, alice_socket
):
    await run_and_collect(alice_socket, run_message(alice_provider, prompt="x"))

    request = upstream.completion_requests[-1]
    assert request.method == "POST"
    assert request.path == "/v1/completions"
    assert upstream.last_headers["content-type"] == "application/json"


async def test_a_shared_provider_is_usable(alice, shared_provider, upstream, alice_socket):
    frames = await run_and_collect(alice_socket, run_message(shared_provider, prompt="x"))

    assert frames[-1]["status"] == "completed"
    assert upstream.last_headers["authorization"] == f"Bearer {KEY}"


async def test_the_key_is_in_no_frame_and_not_in_the_stored_run(
    alice_provider, upstream, alice_socket
):
    upstream.script(SSE([completion_chunk("Hello")]))

    frames = await run_and_collect(alice_socket, run_message(alice_provider, prompt="x"))

    assert upstream.last_headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in frames_text(frames)
    run = await Run.objects.aget(pk=frames[0]["run"])
    assert KEY not in json.dumps(run.request_body)
    assert KEY not in json.dumps(run.raw_response)
    assert KEY not in run.error


async def test_a_provider_error_quoting_the_key_does_not_reveal_it(
    alice_provider, upstream, alice_socket
):
    message = f"Incorrect API key provided: {KEY}. You can find your API key in your account."
    upstream.script(Reply({"error": {"message": message, "type": "auth"}}, status=401))

    frames = await run_and_collect(alice_socket, run_message(alice_provider, prompt="x"))

    assert frames[-1]["status"] == "failed"
    assert "Incorrect API key provided" in frames[-1]["error"]
    assert KEY not in frames_text(frames)
    run = await Run.objects.aget(pk=frames[0]["run"])
    assert KEY not in run.error
