"""A comparison: one prompt to 2 to 6 columns at once over the page's socket, each a run."""

import pytest
from asgiref.sync import sync_to_async
from django.test import override_settings

from playground.runs.models import Comparison, Run
from playground.sessions.models import PlaygroundSession

from ..fake_upstream import SSE, Reply, token_stream
from .helpers import page_message

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def new_session(owner) -> PlaygroundSession:
    return PlaygroundSession.objects.create(owner=owner)


def compare_message(provider, session, columns, **fields):
    fields = {"prompt": "Rain", **fields}
    return page_message(
        provider, action="compare", session=str(session.pk), columns=columns, **fields
    )


def by_model(body):
    """Each column's own reply, whatever order its request comes in."""
    words = {"m-a": [" falls", " softly"], "m-b": [" stops"], "m-c": [" pours", " down", "."]}
    if body["model"] == "m-broken":
        return Reply({"error": {"message": "model m-broken is down"}}, status=500)
    return SSE(token_stream(words[body["model"]], finish_reason="stop"), delay=0.01)


async def collect_comparison(socket, timeout=5):
    frames = []
    while True:
        frame = await socket.receive_json_from(timeout=timeout)
        frames.append(frame)
        if frame["type"] in ("compare.finished", "compare.invalid", "error"):
            return frames


def texts_by_run(frames) -> dict[int, str]:
    texts: dict[int, str] = {}
    for frame in frames:
        if frame["type"] == "delta":
            texts[frame["run"]] = texts.get(frame["run"], "") + frame["choices"].get("0", "")
    return texts


async def test_three_columns_stream_at_once_each_as_a_run_of_the_comparison(
    alice, alice_provider, alice_socket, upstream
):
    upstream.respond_with(by_model)
    session = await new_session(alice)
    columns = [
        {"model": "m-a", "temperature": "0.2"},
        {"model": "m-b", "seed": "7"},
        {"model": "m-c", "max_tokens": "3"},
    ]

    await alice_socket.send_json_to(compare_message(alice_provider, session, columns))
    frames = await collect_comparison(alice_socket)

    started = frames[0]
    assert started["type"] == "compare.started"
    assert [c["model"] for c in started["columns"]] == ["m-a", "m-b", "m-c"]
    runs = {c["run"]: c["column"] for c in started["columns"]}
    texts = texts_by_run(frames)
    assert {runs[run]: text for run, text in texts.items()} == {
        0: " falls softly",
        1: " stops",
        2: " pours down.",
    }
    finished = [f for f in frames if f["type"] == "column.finished"]
    assert sorted(f["column"] for f in finished) == [0, 1, 2]
    assert all(f["status"] == "completed" and f["finish_reasons"] == ["stop"] for f in finished)
    assert all(f["time_to_first_token_ms"] is not None for f in finished)
    assert frames[-1] == {"type": "compare.finished", "comparison": started["comparison"]}
    # Each column's own parameters went upstream, with the prompt and the session's others.
    bodies = {r.body["model"]: r.body for r in upstream.completion_requests}
    assert bodies["m-a"]["temperature"] == 0.2 and "seed" not in bodies["m-a"]
    assert bodies["m-b"]["seed"] == 7 and "temperature" not in bodies["m-b"]
    assert bodies["m-c"]["max_tokens"] == 3
    assert {body["prompt"] for body in bodies.values()} == {"Rain"}
    # Stored: the comparison and a run per column, in the session, each restorable as sent.
    comparison = await Comparison.objects.aget(pk=started["comparison"])
    assert comparison.session_id == session.pk
    assert comparison.columns[1] == {"model": "m-b", "seed": "7"}
    stored = [run async for run in Run.objects.filter(comparison=comparison).order_by("column")]
    assert [(r.column, r.model, r.status) for r in stored] == [
        (0, "m-a", "completed"),
        (1, "m-b", "completed"),
        (2, "m-c", "completed"),
    ]
    assert stored[0].form_state["temperature"] == "0.2"
    assert stored[1].form_state["seed"] == "7"
    # Each keeps only its own changes over the session's form.
    assert stored[1].form_state["temperature"] == stored[2].form_state["temperature"] == ""
    assert stored[0].form_state["seed"] == stored[2].form_state["seed"] == ""
    assert stored[2].form_state["max_tokens"] == "3" != stored[0].form_state["max_tokens"]
    assert [r.form_state["model"] for r in stored] == ["m-a", "m-b", "m-c"]
    assert {r.form_state["prompt"] for r in stored} == {"Rain"}
    # The session keeps the form as typed, with its provider.
    await session.arefresh_from_db()
    assert session.provider_id == alice_provider.pk and session.prompt == "Rain"


async def test_a_failing_column_leaves_the_others_alone(
    alice, alice_provider, alice_socket, upstream
):
    upstream.respond_with(by_model)
    session = await new_session(alice)
    columns = [{"model": "m-a"}, {"model": "m-broken"}, {"model": "m-b"}]

    await alice_socket.send_json_to(compare_message(alice_provider, session, columns))
    frames = await collect_comparison(alice_socket)

    finished = {f["column"]: f for f in frames if f["type"] == "column.finished"}
    assert finished[1]["status"] == "failed"
    assert "m-broken is down" in finished[1]["error"]
    assert finished[0]["status"] == finished[2]["status"] == "completed"
    assert frames[-1]["type"] == "compare.finished"


async def test_stop_with_a_run_stops_that_column_only(
    alice, alice_provider, alice_socket, upstream
):
    def slow_or_quick(body):
        if body["model"] == "m-slow":
            return SSE(token_stream([" a"] * 200), delay=0.05)
        return SSE(token_stream([" quick"], finish_reason="stop"), delay=0.3)

    upstream.respond_with(slow_or_quick)
    session = await new_session(alice)
    columns = [{"model": "m-slow"}, {"model": "m-quick"}]
    await alice_socket.send_json_to(compare_message(alice_provider, session, columns))
    started = await alice_socket.receive_json_from()
    slow = next(c["run"] for c in started["columns"] if c["model"] == "m-slow")

    await alice_socket.send_json_to({"action": "stop", "run": slow})
    frames = await collect_comparison(alice_socket)

    finished = {f["column"]: f["status"] for f in frames if f["type"] == "column.finished"}
    assert finished == {0: "stopped", 1: "completed"}


async def test_invalid_columns_are_named_and_nothing_starts(
    alice, alice_provider, alice_socket, upstream
):
    session = await new_session(alice)
    columns = [{"model": "m-a"}, {"model": "m-b", "temperature": "9"}]

    await alice_socket.send_json_to(compare_message(alice_provider, session, columns))
    [frame] = await collect_comparison(alice_socket)

    assert frame["type"] == "compare.invalid"
    assert list(frame["columns"]) == ["1"]
    assert "temperature" in frame["columns"]["1"]
    assert upstream.completion_requests == []
    assert not await Run.objects.filter(session=session).aexists()


@pytest.mark.parametrize(
    "columns, error",
    [
        ([{"model": "m-a"}], "A comparison has 2 to 6 columns."),
        ([{"model": f"m-{i}"} for i in range(7)], "A comparison has 2 to 6 columns."),
        ("two", "A comparison has 2 to 6 columns."),
        ([{"model": "m-a"}, "m-b"], "Column 2 is not an object of form fields."),
        ([{"model": "m-a"}, {"api_key": "x"}], "Column 2 sets api_key, which no form field is."),
    ],
)
async def test_a_malformed_comparison_gets_an_error(
    alice, alice_provider, alice_socket, upstream, columns, error
):
    session = await new_session(alice)

    await alice_socket.send_json_to(compare_message(alice_provider, session, columns))

    assert await alice_socket.receive_json_from() == {"type": "error", "error": error}
    assert upstream.completion_requests == []


@override_settings(PLAYGROUND_MAX_CONCURRENT_RUNS=1, PLAYGROUND_RUNS_PER_MINUTE=30)
async def test_six_columns_count_as_one_going_at_once_and_six_started(
    alice, alice_provider, alice_socket, upstream
):
    # With one thing allowed at once, a six-column comparison still runs: it is one.
    upstream.respond_with(lambda body: SSE(token_stream([" x"], finish_reason="stop")))
    session = await new_session(alice)
    six = [{"model": f"m-{i}"} for i in range(6)]

    await alice_socket.send_json_to(compare_message(alice_provider, session, six))
    frames = await collect_comparison(alice_socket)
    assert frames[-1]["type"] == "compare.finished"
    assert len(upstream.completion_requests) == 6

    # Each column was a run started: five comparisons of six are the 30 a minute allowed…
    for _ in range(4):
        await alice_socket.send_json_to(compare_message(alice_provider, session, six))
        frames = await collect_comparison(alice_socket)
        assert frames[-1]["type"] == "compare.finished"
    await alice_socket.send_json_to(compare_message(alice_provider, session, six))
    [refused] = await collect_comparison(alice_socket)
    assert refused["type"] == "error"
    assert "at most 30 runs a minute" in refused["error"]
    assert len(upstream.completion_requests) == 30


@override_settings(PLAYGROUND_MAX_CONCURRENT_RUNS=1)
async def test_a_comparison_going_takes_the_one_slot(alice, alice_provider, connect, upstream):
    upstream.respond_with(lambda body: SSE(token_stream([" a"] * 100), delay=0.05))
    session = await new_session(alice)
    first, second = await connect(alice), await connect(alice)
    two = [{"model": "m-1"}, {"model": "m-2"}]
    await first.send_json_to(compare_message(alice_provider, session, two))
    await first.receive_json_from()  # compare.started: its runs exist

    await second.send_json_to(compare_message(alice_provider, session, two))
    [refused] = await collect_comparison(second)

    assert refused["type"] == "error"
    assert "You already have 1 runs going" in refused["error"]
    await first.send_json_to({"action": "stop"})
    frames = await collect_comparison(first)
    assert {f["status"] for f in frames if f["type"] == "column.finished"} == {"stopped"}
    await first.disconnect()
    await second.disconnect()


async def test_each_column_sends_the_prompt_with_its_variables_filled_in(
    alice, alice_provider, alice_socket, upstream
):
    upstream.respond_with(by_model)
    session = await new_session(alice)
    message = compare_message(
        alice_provider,
        session,
        [{"model": "m-a"}, {"model": "m-b"}],
        prompt="Rain in {{city}}",
        variables='{"city": "Paris"}',
    )

    await alice_socket.send_json_to(message)
    frames = await collect_comparison(alice_socket)

    assert frames[-1]["type"] == "compare.finished"
    assert {r.body["prompt"] for r in upstream.completion_requests} == {"Rain in Paris"}


async def test_a_column_with_usage_shows_its_cost_at_the_providers_prices(
    alice, alice_provider, alice_socket, upstream
):
    from decimal import Decimal

    from ..fake_upstream import completion_chunk

    alice_provider.price_prompt_per_million = Decimal("2.5")
    alice_provider.price_completion_per_million = Decimal("10")
    await alice_provider.asave()
    usage = {"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200}
    upstream.respond_with(
        lambda body: SSE(
            [completion_chunk(" hi", finish_reason="stop"), completion_chunk(usage=usage)]
        )
    )
    session = await new_session(alice)
    message = compare_message(
        alice_provider, session, [{"model": "m-a"}, {"model": "m-b"}], include_usage="on"
    )

    await alice_socket.send_json_to(message)
    frames = await collect_comparison(alice_socket)

    # 1000 * 2.5 / 1M + 200 * 10 / 1M
    costs = [f["cost"] for f in frames if f["type"] == "column.finished"]
    assert costs == ["0.0045", "0.0045"]
