"""The finished run's card says only what was measured and sent: its figures, the requests
that really went upstream, and why a choice came back without text."""

import html
import json
import re

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from playground.providers.capabilities import capabilities_for, record
from playground.providers.quirks import Quirk
from playground.runs.models import Run

from ..factories import make_provider
from ..fake_upstream import SSE, Reply, completion_chunk, completion_response, token_stream
from .helpers import receive_until, run_and_collect, run_message

pytestmark = pytest.mark.django_db(transaction=True)


# The probe's result that each quirk follows from (providers/capabilities.py).
MEASURED = {
    Quirk.ONE_CHOICE_PER_REQUEST: ("n_choices", False),
    Quirk.NO_PROMPT_LISTS: ("prompt_lists", False),
    Quirk.NO_STREAMED_ECHO: ("streamed_echo", False),
}


@sync_to_async
def quirky_provider(owner, upstream, *quirks):
    provider = make_provider(owner=owner, base_url=upstream.base_url, name="Quirky")
    results = {
        MEASURED[quirk][0]: {"value": MEASURED[quirk][1], "evidence": "measured"}
        for quirk in quirks
    }
    record(provider, "fake-model", results, timezone.now())
    assert capabilities_for(provider, "fake-model").quirks() == [q.value for q in quirks]
    return provider


async def finished_card(socket, message) -> tuple[list[dict], str]:
    frames = await run_and_collect(socket, message)
    assert frames[-1]["type"] == "run.finished", frames[-1]
    return frames, html.unescape(frames[-1]["html"])


def sent_bodies(card: str) -> list[dict]:
    """The bodies the card's raw view lists as sent upstream."""
    return [
        json.loads(body)
        for body in re.findall(r'<pre class="sent-request">(.*?)</pre>', card, re.S)
    ]


# --- figures ---------------------------------------------------------------------------------


async def test_a_non_streamed_run_shows_its_total_time_and_tokens_but_no_first_token_or_speed(
    alice_provider, upstream, alice_socket
):
    upstream.script(Reply(completion_response([" Paris."])))

    frames, card = await finished_card(
        alice_socket, run_message(alice_provider, prompt="Capital?", stream=None)
    )

    assert "<dt>Total</dt>" in card
    assert "prompt 3 · completion 4 · total 7" in card
    assert "First token" not in card
    assert "Speed" not in card
    assert "tokens/s" not in card
    run = await Run.objects.aget(pk=frames[-1]["run"])
    assert run.total_ms is not None
    assert run.time_to_first_token_ms is None


async def test_a_non_streamed_answer_without_usage_has_no_token_count_made_up(
    alice_provider, upstream, alice_socket
):
    response = completion_response([" Paris is the capital."])
    del response["usage"]
    upstream.script(Reply(response))

    frames, card = await finished_card(
        alice_socket, run_message(alice_provider, prompt="Capital?", stream=None)
    )

    run = await Run.objects.aget(pk=frames[-1]["run"])
    assert run.completion_tokens is None
    assert "tokens/s" not in card


async def test_a_streamed_run_shows_its_first_token_and_speed(
    alice_provider, upstream, alice_socket
):
    usage = {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5}
    chunks = token_stream(["Hel", "lo", "!"], finish_reason="stop")
    upstream.script(SSE([*chunks, {"choices": [], "usage": usage}], delay=0.01))

    frames, card = await finished_card(alice_socket, run_message(alice_provider, prompt="Hi"))

    run = await Run.objects.aget(pk=frames[-1]["run"])
    assert run.time_to_first_token_ms is not None
    assert "<dt>First token</dt>" in card
    assert "<dt>Total</dt>" in card
    assert "tokens/s" in card


# --- the requests that went upstream ----------------------------------------------------------


async def test_n_sent_as_one_request_per_choice_shows_each_body_that_went_upstream(
    alice, upstream, alice_socket
):
    provider = await quirky_provider(alice, upstream, Quirk.ONE_CHOICE_PER_REQUEST)
    upstream.script(SSE(token_stream(["A"])), SSE(token_stream(["B"])))

    frames, card = await finished_card(
        alice_socket, run_message(provider, prompt="Hi", n="2", max_tokens="5")
    )

    bodies = [request.body for request in upstream.completion_requests]
    assert [body["n"] for body in bodies] == [1, 1]
    assert "Sent upstream as 2 requests" in card
    assert "2 requests, each:" in card
    assert sent_bodies(card) == [bodies[0]]
    assert bodies[0] == bodies[1]
    # The request as asked is kept and shown too, with its n.
    assert "as asked" in card
    run = await Run.objects.aget(pk=frames[-1]["run"])
    assert run.request_body["n"] == 2
    assert run.sent_requests == [{"times": 2, "changed": {"n": 1}}]


async def test_run_started_says_how_the_request_goes_upstream(alice, upstream, alice_socket):
    provider = await quirky_provider(alice, upstream, Quirk.ONE_CHOICE_PER_REQUEST)
    upstream.script(SSE(token_stream(["A"])), SSE(token_stream(["B"])), SSE(token_stream(["C"])))

    await alice_socket.send_json_to(run_message(provider, prompt="Hi", n="3"))
    started = (await receive_until(alice_socket, "run.started"))[-1]
    await receive_until(alice_socket, "run.finished")

    assert started["request"]["n"] == 3
    assert started["sent_requests"] == [{"times": 3, "changed": {"n": 1}}]
    sent = [{**started["request"], **group["changed"]} for group in started["sent_requests"]]
    assert sent == [upstream.completion_requests[0].body]


async def test_a_prompt_list_sent_prompt_by_prompt_shows_each_body_in_order(
    alice, upstream, alice_socket
):
    provider = await quirky_provider(alice, upstream, Quirk.NO_PROMPT_LISTS)
    upstream.script(SSE(token_stream(["1"])), SSE(token_stream(["2"])))

    frames, card = await finished_card(
        alice_socket, run_message(provider, prompt="", prompt_json='["One", "Two"]')
    )

    bodies = [request.body for request in upstream.completion_requests]
    assert [body["prompt"] for body in bodies] == ["One", "Two"]
    assert sent_bodies(card) == bodies
    assert "Sent upstream as 2 requests" in card
    run = await Run.objects.aget(pk=frames[-1]["run"])
    assert run.sent_requests == [
        {"times": 1, "changed": {"prompt": "One"}},
        {"times": 1, "changed": {"prompt": "Two"}},
    ]


async def test_a_run_stopped_between_its_requests_shows_only_those_sent(
    alice, upstream, alice_socket
):
    provider = await quirky_provider(alice, upstream, Quirk.ONE_CHOICE_PER_REQUEST)
    upstream.script(SSE(token_stream(["A", "B", "C", "D"]), delay=0.5))

    await alice_socket.send_json_to(run_message(provider, prompt="Hi", n="3"))
    await receive_until(alice_socket, "delta")
    await alice_socket.send_json_to({"action": "stop"})
    finished = (await receive_until(alice_socket, "run.finished"))[-1]
    card = html.unescape(finished["html"])

    assert finished["status"] == "stopped"
    assert len(upstream.completion_requests) == 1
    assert "Sent upstream as 1 request" in card
    assert sent_bodies(card) == [upstream.completion_requests[0].body]
    run = await Run.objects.aget(pk=finished["run"])
    assert run.sent_requests == [{"times": 1, "changed": {"n": 1}}]


async def test_a_request_sent_as_asked_shows_the_one_body(alice_provider, upstream, alice_socket):
    frames, card = await finished_card(alice_socket, run_message(alice_provider, prompt="Hi"))

    assert frames[0]["sent_requests"] == [{"times": 1, "changed": {}}]
    assert "Sent upstream" not in card
    assert "as asked" not in card
    assert sent_bodies(card) == []
    assert "Request body" in card


# --- why a choice has no text -----------------------------------------------------------------


async def test_a_choice_stopped_at_once_by_a_stop_sequence_says_so(
    alice_provider, upstream, alice_socket
):
    upstream.script(SSE([completion_chunk("", finish_reason="stop")]))

    _, card = await finished_card(
        alice_socket, run_message(alice_provider, prompt="Hi", stop=["\\n"])
    )

    assert (
        'No text: the model stopped at once (finish_reason "stop": a stop sequence or the '
        "end-of-text token came first)." in card
    )


async def test_a_choice_stopped_at_once_without_stop_sequences_names_the_end_of_text_token(
    alice_provider, upstream, alice_socket
):
    upstream.script(SSE([completion_chunk("", finish_reason="stop")]))

    _, card = await finished_card(alice_socket, run_message(alice_provider, prompt="Hi"))

    assert (
        'No text: the model stopped at once (finish_reason "stop": the end-of-text token '
        "came first)." in card
    )


async def test_a_choice_with_max_tokens_zero_says_so(alice_provider, upstream, alice_socket):
    upstream.script(Reply(completion_response([""], finish_reason="length")))

    _, card = await finished_card(
        alice_socket, run_message(alice_provider, prompt="Hi", stream=None, max_tokens="0")
    )

    assert 'No text: max_tokens is 0, so the model wrote none (finish_reason "length").' in card


async def test_an_echoed_prompt_with_nothing_after_it_says_why(alice, upstream, alice_socket):
    provider = await quirky_provider(alice, upstream, Quirk.NO_STREAMED_ECHO)
    upstream.script(SSE([completion_chunk("", finish_reason="stop")]))

    _, card = await finished_card(alice_socket, run_message(provider, prompt="Hi there", echo="on"))

    assert "No text after the prompt: the model stopped at once" in card


async def test_a_choice_with_text_gives_no_reason(alice_provider, upstream, alice_socket):
    _, card = await finished_card(alice_socket, run_message(alice_provider, prompt="Hi"))

    assert "No text" not in card
    assert "empty-reason" not in card
