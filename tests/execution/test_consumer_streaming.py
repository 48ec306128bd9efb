"""The playground socket streams a run to the page in order, each choice into its own pane."""

import pytest
from django.test import AsyncClient
from django.test.signals import template_rendered

from playground.runs.models import Run, RunStatus

from ..fake_upstream import SSE, Reply, completion_chunk, completion_response, token_stream
from .helpers import collect_until_finished, run_and_collect, run_message, streamed_texts

pytestmark = pytest.mark.django_db(transaction=True)


async def test_it_streams_tokens_in_order(alice, alice_provider, upstream, connect):
    upstream.script(SSE(token_stream(["One", " two", " three"]), delay=0.03))
    socket = await connect(alice)
    await socket.send_json_to(run_message(alice_provider, prompt="Count:"))

    frames = await collect_until_finished(socket)

    assert frames[0]["type"] == "run.started"
    text = "".join(f["choices"]["0"] for f in frames if f["type"] == "delta")
    assert text == "One two three"
    assert len([f for f in frames if f["type"] == "delta"]) >= 2
    finished = frames[-1]
    assert finished["status"] == "completed"
    run = await Run.objects.aget(pk=finished["run"])
    assert run.choices[0]["text"] == "One two three"
    assert run.choices[0]["finish_reason"] == "length"
    assert run.status == RunStatus.COMPLETED


async def test_each_choice_streams_into_its_own_pane(alice, alice_provider, upstream, connect):
    events = []
    for token in ["a", "b", "c"]:
        events += [completion_chunk(token, index=0), completion_chunk(token.upper(), index=1)]
    upstream.script(SSE(events))
    socket = await connect(alice)
    await socket.send_json_to(run_message(alice_provider, prompt="x", n="2"))

    frames = await collect_until_finished(socket)

    texts = {"0": "", "1": ""}
    for frame in frames:
        if frame["type"] == "delta":
            for index, text in frame["choices"].items():
                texts[index] += text
    assert texts == {"0": "abc", "1": "ABC"}
    assert upstream.last_body["n"] == 2


async def test_run_started_comes_first_with_the_run_and_the_choices_expected(
    alice_provider, upstream, alice_socket
):
    frames = await run_and_collect(alice_socket, run_message(alice_provider, prompt="x", n="3"))

    started = frames[0]
    assert started["type"] == "run.started"
    assert started["expected_choices"] == 3
    assert started["request"] == upstream.last_body
    assert all(frame["run"] == started["run"] for frame in frames)
    assert [frame["type"] for frame in frames[1:-1]] == ["delta"] * (len(frames) - 2)


async def test_a_list_of_prompts_gets_a_choice_per_prompt_and_n(
    alice_provider, upstream, alice_socket
):
    upstream.script(SSE([completion_chunk(str(i), index=i) for i in range(4)]))

    frames = await run_and_collect(
        alice_socket, run_message(alice_provider, prompt_json='["a", "b"]', n="2")
    )

    assert frames[0]["expected_choices"] == 4
    assert streamed_texts(frames) == {"0": "0", "1": "1", "2": "2", "3": "3"}
    assert frames[-1]["notices"] == []


async def test_stream_false_runs_through_the_same_socket(alice_provider, upstream, alice_socket):
    upstream.script(Reply(completion_response(["Whole answer", "Second one"])))

    frames = await run_and_collect(alice_socket, run_message(alice_provider, stream="", n="2"))

    assert upstream.last_body["stream"] is False
    assert streamed_texts(frames) == {"0": "Whole answer", "1": "Second one"}
    finished = frames[-1]
    assert finished["status"] == "completed"
    assert finished["usage"] == {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}
    run = await Run.objects.aget(pk=finished["run"])
    assert [c["text"] for c in run.choices] == ["Whole answer", "Second one"]
    assert run.raw_response[0]["choices"][0]["text"] == "Whole answer"


async def test_a_provider_ignoring_stream_true_still_completes(
    alice_provider, upstream, alice_socket
):
    upstream.script(Reply(completion_response(["All at once"])))

    frames = await run_and_collect(alice_socket, run_message(alice_provider, prompt="x"))

    assert streamed_texts(frames) == {"0": "All at once"}
    assert frames[-1]["status"] == "completed"


async def test_usage_comes_from_the_final_include_usage_chunk(
    alice_provider, upstream, alice_socket
):
    usage = {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5}
    final = {"id": "cmpl-fake", "object": "text_completion", "choices": [], "usage": usage}
    upstream.script(SSE([*token_stream(["a", "b", "c"]), final]))

    frames = await run_and_collect(
        alice_socket, run_message(alice_provider, prompt="x", include_usage="on")
    )

    finished = frames[-1]
    assert finished["usage"] == usage
    assert finished["notices"] == []
    run = await Run.objects.aget(pk=finished["run"])
    assert run.usage == usage
    assert run.completion_tokens == 3
    assert run.tokens_from_usage is True


async def test_a_missing_usage_chunk_is_noticed(alice_provider, upstream, alice_socket):
    frames = await run_and_collect(
        alice_socket, run_message(alice_provider, prompt="x", include_usage="on")
    )

    assert frames[-1]["usage"] is None
    assert frames[-1]["notices"] == [
        "Asked for stream_options.include_usage; no usage chunk arrived."
    ]


async def test_fewer_choices_than_asked_is_noticed(alice_provider, upstream, alice_socket):
    upstream.script(SSE(token_stream(["only one"])))

    frames = await run_and_collect(alice_socket, run_message(alice_provider, prompt="x", n="3"))

    finished = frames[-1]
    assert finished["status"] == "completed"
    assert finished["notices"] == ["Asked for 3 choices (n=3); the provider returned 1."]
    run = await Run.objects.aget(pk=finished["run"])
    assert run.notices == finished["notices"]
    assert "the provider returned 1" in finished["html"]


async def test_missing_logprobs_are_noticed(alice_provider, upstream, alice_socket):
    frames = await run_and_collect(
        alice_socket, run_message(alice_provider, prompt="x", logprobs="2")
    )

    assert frames[-1]["notices"] == [
        "Asked for logprobs=2; the provider returned none for choice 0."
    ]


async def test_logprobs_are_merged_and_stored(alice_provider, upstream, alice_socket):
    def logprobs(token, logprob):
        return {
            "tokens": [token],
            "token_logprobs": [logprob],
            "top_logprobs": [{token: logprob, " other": -3.0}],
            "text_offset": [0],
        }

    upstream.script(
        SSE(
            [
                completion_chunk("Hi", logprobs=logprobs("Hi", -0.1)),
                completion_chunk(" there", logprobs=logprobs(" there", -0.5)),
            ]
        )
    )

    frames = await run_and_collect(
        alice_socket, run_message(alice_provider, prompt="x", logprobs="1")
    )

    assert frames[-1]["notices"] == []
    run = await Run.objects.aget(pk=frames[-1]["run"])
    assert run.choices[0]["logprobs"]["tokens"] == ["Hi", " there"]
    assert run.choices[0]["logprobs"]["token_logprobs"] == [-0.1, -0.5]


async def test_sse_comments_and_blank_events_are_ignored(alice_provider, upstream, alice_socket):
    upstream.script(
        SSE([": keep-alive\n\n", completion_chunk("a"), "data: \n\n", completion_chunk("b")])
    )

    frames = await run_and_collect(alice_socket, run_message(alice_provider, prompt="x"))

    assert streamed_texts(frames) == {"0": "ab"}
    assert frames[-1]["status"] == "completed"


async def test_model_output_is_escaped_in_the_finished_card(alice_provider, upstream, alice_socket):
    upstream.script(SSE([completion_chunk("<script>alert(1)</script>")]))

    frames = await run_and_collect(alice_socket, run_message(alice_provider, prompt="x"))

    assert "<script>alert(1)</script>" not in frames[-1]["html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in frames[-1]["html"]


async def test_two_runs_in_a_row_on_one_socket(alice_provider, upstream, alice_socket):
    first = await run_and_collect(alice_socket, run_message(alice_provider, prompt="one"))
    second = await run_and_collect(alice_socket, run_message(alice_provider, prompt="two"))

    assert first[-1]["status"] == second[-1]["status"] == "completed"
    assert first[0]["run"] != second[0]["run"]
    assert [r.body["prompt"] for r in upstream.completion_requests] == ["one", "two"]


async def test_a_card_too_large_for_one_frame_is_left_for_the_page_to_fetch(
    alice, alice_provider, upstream, alice_socket
):
    # 900 KB of text, and its raw stream: the card cannot go in one frame (outgoing.py), so
    # rendering it at the end of the run would only delay run.finished.
    tokens = [f"{i:05d}" + "x" * 995 for i in range(900)]
    upstream.script(SSE(token_stream(tokens)))
    rendered = []

    def record(sender, template, context, **kwargs):
        rendered.append(template.name)

    template_rendered.connect(record)
    try:
        frames = await run_and_collect(alice_socket, run_message(alice_provider, prompt="x"))
    finally:
        template_rendered.disconnect(record)

    finished = frames[-1]
    assert (finished["status"], finished["html"]) == ("completed", None)
    assert "run-card" not in rendered
    # The page's fetch gets the card.
    client = AsyncClient()
    await client.aforce_login(alice)
    card = (await client.get(f"/runs/{finished['run']}/")).content.decode()
    assert tokens[-1] in card


async def test_a_card_that_fits_comes_in_run_finished(alice_provider, upstream, alice_socket):
    upstream.script(SSE(token_stream(["Small", " card"])))

    frames = await run_and_collect(alice_socket, run_message(alice_provider, prompt="x"))

    assert 'class="run-card' in frames[-1]["html"]
    assert "Small card" in frames[-1]["html"]
