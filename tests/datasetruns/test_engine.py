"""A dataset run's work, end to end against the fake upstream: the task runs at once in the
test (ImmediateBackend), or the test runs two workers on one run itself."""

import asyncio
import re

import pytest
from asgiref.sync import async_to_sync
from django.db import IntegrityError

from playground.datasetruns import lifecycle
from playground.datasetruns.engine import RunWork
from playground.datasets.models import DatasetResult, DatasetRunStatus, ResultStatus

from ..fake_upstream import Reply, completion_response
from .conftest import answer_by_prompt, capital

pytestmark = pytest.mark.django_db(transaction=True)


def prompts_sent(upstream) -> list[str]:
    return [request.body["prompt"] for request in upstream.completion_requests]


def test_a_run_of_fifty_rows_finishes_with_its_scores(
    alice, upstream, capitals_session, make_capitals
):
    upstream.respond_with(answer_by_prompt)
    dataset = make_capitals(50)

    run = lifecycle.start(alice, dataset, capitals_session).run

    run.refresh_from_db()
    assert run.status == DatasetRunStatus.FINISHED
    results = list(run.results.order_by("row_index"))
    assert [r.status for r in results] == [ResultStatus.DONE] * 50
    assert [r.output for r in results] == [capital(f"City{i}") for i in range(50)]
    # " City0ville" trimmed is "City0ville": exact and contains both pass.
    assert all(r.scores == {"exact": True, "contains": True, "regex": True} for r in results)
    assert sorted(prompts_sent(upstream)) == sorted(f"The capital of City{i} is" for i in range(50))
    assert all(r.attempts == 1 and r.usage["total_tokens"] == 7 for r in results)


def test_scores_say_which_rows_miss(alice, upstream, capitals_session, make_capitals):
    upstream.respond_with(answer_by_prompt)
    dataset = make_capitals(3)
    row = dataset.rows.get(index=1)
    row.values["expected"] = "city1VILLE"
    row.save()
    row = dataset.rows.get(index=2)
    row.values["expected"] = r"City\d+v"
    row.save()

    run = lifecycle.start(alice, dataset, capitals_session).run

    scores = [r.scores for r in run.results.order_by("row_index")]
    assert scores[1] == {"exact": False, "contains": False, "regex": False}
    assert scores[2] == {"exact": False, "contains": False, "regex": True}


def test_a_row_without_a_value_fails_with_the_forms_message(
    alice, upstream, capitals_session, make_capitals
):
    upstream.respond_with(answer_by_prompt)
    dataset = make_capitals(3)
    row = dataset.rows.get(index=1)
    row.values["city"] = ""
    row.save()

    run = lifecycle.start(alice, dataset, capitals_session).run

    failed = run.results.get(row_index=1)
    assert failed.status == ResultStatus.FAILED
    assert failed.error.startswith("prompt: No value for city")
    assert run.results.filter(status=ResultStatus.DONE).count() == 2
    assert len(upstream.completion_requests) == 2


def test_a_429_is_retried_after_its_retry_after(
    alice, upstream, capitals_session, make_capitals, fast_retries
):
    upstream.script(
        Reply({"error": {"message": "Slow down"}}, status=429, headers={"Retry-After": "0"})
    )
    upstream.respond_with(answer_by_prompt)

    run = lifecycle.start(alice, make_capitals(1), capitals_session).run

    result = run.results.get()
    assert result.status == ResultStatus.DONE
    assert result.output == capital("City0")
    assert result.attempts == 2
    assert prompts_sent(upstream) == ["The capital of City0 is"] * 2


def test_5xx_answers_are_retried_then_the_row_fails_with_the_providers_message(
    alice, upstream, capitals_session, make_capitals, fast_retries
):
    upstream.respond_with(lambda body: Reply({"error": {"message": "Overloaded"}}, status=503))

    run = lifecycle.start(alice, make_capitals(1), capitals_session).run

    result = run.results.get()
    assert result.status == ResultStatus.FAILED
    assert result.error == "The provider answered 503 Service Unavailable: Overloaded"
    assert result.attempts == 3
    assert len(upstream.completion_requests) == 3
    run.refresh_from_db()
    assert run.status == DatasetRunStatus.FINISHED


def test_a_400_is_not_retried(alice, upstream, capitals_session, make_capitals, fast_retries):
    upstream.respond_with(lambda body: Reply({"error": {"message": "Bad prompt"}}, status=400))

    run = lifecycle.start(alice, make_capitals(1), capitals_session).run

    assert run.results.get().error == "The provider answered 400 Bad Request: Bad prompt"
    assert len(upstream.completion_requests) == 1


def test_stop_cancels_the_rows_not_started_and_resume_runs_only_those(
    alice, upstream, capitals_session, make_capitals, fake_provider
):
    fake_provider.max_concurrency = 1
    fake_provider.save()
    dataset = make_capitals(10)
    answered = []

    def stop_at_the_fourth(body):
        # Alice presses Stop while the fourth row is upstream.
        answered.append(body["prompt"])
        if len(answered) == 4:
            lifecycle.stop(dataset.runs.get())
        return answer_by_prompt(body)

    upstream.respond_with(stop_at_the_fourth)
    run = lifecycle.start(alice, dataset, capitals_session).run

    run.refresh_from_db()
    assert run.status == DatasetRunStatus.STOPPED
    statuses = list(run.results.order_by("row_index").values_list("status", flat=True))
    assert statuses == [ResultStatus.DONE] * 4 + [ResultStatus.CANCELLED] * 6

    upstream.respond_with(answer_by_prompt)
    assert lifecycle.resume(alice, run) == ""

    run.refresh_from_db()
    assert run.status == DatasetRunStatus.FINISHED
    assert run.results.filter(status=ResultStatus.DONE).count() == 10
    sent = prompts_sent(upstream)
    assert sorted(sent) == sorted(f"The capital of City{i} is" for i in range(10))
    assert lifecycle.resume(alice, run) == "Every row is done: there is nothing to resume."


def test_resume_runs_the_failed_rows_again(
    alice, upstream, capitals_session, make_capitals, fast_retries
):
    upstream.respond_with(
        lambda body: (
            Reply({"error": {"message": "No"}}, status=400)
            if body["prompt"].endswith("City1 is")
            else answer_by_prompt(body)
        )
    )
    run = lifecycle.start(alice, make_capitals(3), capitals_session).run
    assert run.results.get(row_index=1).status == ResultStatus.FAILED

    upstream.respond_with(answer_by_prompt)
    lifecycle.resume(alice, run)

    assert run.results.get(row_index=1).status == ResultStatus.DONE
    assert prompts_sent(upstream)[3:] == ["The capital of City1 is"]


def test_two_workers_on_one_run_never_run_a_row_twice(
    alice, upstream, capitals_session, make_capitals, fake_provider, tasks_wait
):
    fake_provider.max_concurrency = 8
    fake_provider.save()
    upstream.respond_with(lambda body: Reply(completion_response([capital("x")]), delay=0.01))
    run = lifecycle.start(alice, make_capitals(40), capitals_session).run

    async def two_workers():
        # Four rows in hand each, so that both have work while the other holds some.
        await asyncio.gather(
            RunWork(run.pk, "w1", 60, most_in_hand=4)(), RunWork(run.pk, "w2", 60, most_in_hand=4)()
        )

    async_to_sync(two_workers)()

    sent = prompts_sent(upstream)
    assert len(sent) == 40
    assert len(set(sent)) == 40
    results = run.results.all()
    assert {r.status for r in results} == {ResultStatus.DONE}
    assert {r.claimed_by for r in results} == {"w1", "w2"}


def test_a_row_is_in_the_results_once(alice, capitals_session, make_capitals, tasks_wait):
    run = lifecycle.start(alice, make_capitals(1), capitals_session).run
    result = run.results.get()

    with pytest.raises(IntegrityError):
        DatasetResult.objects.create(
            run=run, row=result.row, row_index=0, column=0, provider=result.provider
        )


def test_a_comparisons_columns_each_run_every_row(
    alice, upstream, capitals_session, make_capitals, fake_provider
):
    from playground.runs.models import Comparison

    upstream.respond_with(answer_by_prompt)
    comparison = Comparison.objects.create(
        owner=alice,
        session=capitals_session,
        columns=[{"temperature": "0"}, {"temperature": "1", "seed": "7"}],
    )

    run = lifecycle.start(alice, make_capitals(5), capitals_session, comparison).run

    assert run.results.filter(status=ResultStatus.DONE).count() == 10
    bodies = [request.body for request in upstream.completion_requests]
    assert sorted(b["temperature"] for b in bodies) == [0] * 5 + [1] * 5
    assert {b.get("seed") for b in bodies if b["temperature"] == 1} == {7}
    assert run.column_labels[1].endswith("temperature 1 · seed 7")


def test_a_dataset_without_the_prompts_variable_is_refused(alice, capitals_session, tasks_wait):
    from ..factories import make_dataset

    dataset = make_dataset(alice, columns=("town",), rows=[{"town": "Paris"}])

    outcome = lifecycle.start(alice, dataset, capitals_session)

    assert outcome.run is None
    assert re.match(r"The dataset has no column for city", outcome.error)


def test_the_wait_before_a_retry_is_what_retry_after_asks_within_the_cap(settings):
    from playground.datasetruns.engine import retry_wait
    from playground.providers.client import UpstreamError

    settings.PLAYGROUND_DATASET_MAX_RETRY_WAIT = 30

    assert retry_wait(UpstreamError("x", status=429, retry_after=7), attempt=1) == 7
    assert retry_wait(UpstreamError("x", status=429, retry_after=700), attempt=1) == 30
    settings.PLAYGROUND_DATASET_RETRY_SECONDS = 4
    assert 8 <= retry_wait(UpstreamError("x", status=503), attempt=3) <= 16


def test_with_n_choices_a_row_passes_when_any_choice_does(
    alice, upstream, capitals_session, make_capitals
):
    capitals_session.parameters = {**capitals_session.parameters, "n": "3"}
    capitals_session.save()
    upstream.respond_with(
        lambda body: Reply(completion_response([" no", capital("City0"), " nope"][: body["n"]]))
    )

    run = lifecycle.start(alice, make_capitals(1), capitals_session).run

    result = run.results.get()
    assert upstream.last_body["n"] == 3
    assert [choice["text"] for choice in result.choices] == [" no", capital("City0"), " nope"]
    assert result.output == " no"
    assert result.scores == {"exact": True, "contains": True, "regex": True}


def echo_with_logprobs(body):
    """Answers a likelihood request as OpenAI's legacy completions do: the prompt echoed,
    each token with its log probability (the first has none)."""
    if not body.get("echo"):
        return answer_by_prompt(body)
    assert body["max_tokens"] == 0 and body["logprobs"] == 1 and body["stream"] is False
    tokens = re.findall(r"\s*\S+", body["prompt"])
    offsets = [sum(len(t) for t in tokens[:i]) for i in range(len(tokens))]
    logprobs = {
        "tokens": tokens,
        "token_logprobs": [None] + [-0.5] * (len(tokens) - 1),
        "top_logprobs": None,
        "text_offset": offsets,
    }
    return Reply(completion_response([body["prompt"]], logprobs=logprobs, finish_reason="length"))


def test_it_scores_the_log_probability_of_expected(
    alice, upstream, capitals_session, make_capitals
):
    import math

    upstream.respond_with(echo_with_logprobs)
    dataset = make_capitals(1)
    row = dataset.rows.get()
    row.values["expected"] = " Paris is big"
    row.save()

    run = lifecycle.start(alice, dataset, capitals_session, score_likelihood=True).run

    scores = run.results.get().scores
    # " Paris", " is", " big": three tokens of -0.5 each.
    assert scores["expected_logprob"] == -1.5
    assert scores["expected_perplexity"] == pytest.approx(math.exp(0.5))
    echoed = [r.body for r in upstream.completion_requests if r.body.get("echo")]
    assert [b["prompt"] for b in echoed] == ["The capital of City0 is Paris is big"]


def test_no_log_probability_where_the_probe_found_none(
    alice, upstream, capitals_session, make_capitals, fake_provider
):
    from django.utils import timezone

    from playground.providers.models import ProviderCapabilities

    ProviderCapabilities.objects.create(
        provider=fake_provider,
        model="fake-model",
        results={"echo_logprobs": {"value": False}},
        measured_at=timezone.now(),
    )
    upstream.respond_with(echo_with_logprobs)

    run = lifecycle.start(alice, make_capitals(1), capitals_session, score_likelihood=True).run

    assert "expected_logprob" not in run.results.get().scores
    assert not any(r.body.get("echo") for r in upstream.completion_requests)
