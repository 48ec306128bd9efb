"""The dataset run pages: start, follow, stop and resume, filter, export, open a cell."""

import csv
import io
import json
import re

import pytest
from django.db import transaction

from playground.datasetruns import lifecycle
from playground.datasets.models import DatasetRun, DatasetRunStatus, ResultStatus
from playground.execution.limits import refusal_to_start
from playground.runs.models import Run, RunStatus
from playground.sessions.models import PlaygroundSession

from ..factories import make_dataset, make_session
from ..fake_upstream import Reply, completion_response
from .conftest import answer_by_prompt, capital

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def finished_run(alice, upstream, capitals_session, make_capitals):
    upstream.respond_with(answer_by_prompt)
    return lifecycle.start(alice, make_capitals(3), capitals_session).run


def test_it_starts_a_run_and_shows_its_results(
    alice_client, upstream, capitals_session, make_capitals
):
    upstream.respond_with(answer_by_prompt)
    dataset = make_capitals(3)

    response = alice_client.post(
        "/dataset-runs/new/", {"dataset": dataset.pk, "session": capitals_session.pk}
    )

    run = DatasetRun.objects.get()
    assert response.url == f"/dataset-runs/{run.pk}/"
    page = alice_client.get(response.url).content.decode()
    assert 'data-status="finished"' in page
    assert "3 done" in page
    assert capital("City2") in page
    assert "exact: 3 of 3 pass, mean 1.00, standard deviation 0.00" in page


def test_the_form_is_prefilled_from_the_dataset_page(alice_client, make_capitals):
    dataset = make_capitals(1)

    page = alice_client.get(f"/dataset-runs/new/?dataset={dataset.pk}").content.decode()

    assert f'<option value="{dataset.pk}" selected>' in page


def test_a_field_with_one_choice_starts_with_it(
    alice, alice_client, capitals_session, make_capitals
):
    dataset = make_capitals(1)

    page = alice_client.get(f"/dataset-runs/new/?session={capitals_session.pk}").text

    assert f'<option value="{dataset.pk}" selected>' in page
    assert f'<option value="{capitals_session.pk}" selected>' in page


def test_a_field_with_several_choices_starts_empty(
    alice, alice_client, capitals_session, make_capitals
):
    make_capitals(1)
    make_capitals(1)
    make_session(alice, title="Another")

    page = alice_client.get("/dataset-runs/new/").text

    assert re.search(r'<option value="\d+" selected>', page) is None
    assert page.count('<option value="" selected>') == 2


def test_sessions_of_one_title_are_told_apart(alice, alice_client, capitals_session, make_capitals):
    dataset = make_capitals(1)
    title = capitals_session.display_title
    fork = make_session(alice, prompt=capitals_session.prompt)
    PlaygroundSession.objects.filter(pk=fork.pk).update(updated_at="2026-11-02T09:30:00Z")
    make_session(alice, title="Alone")

    page = alice_client.get(f"/dataset-runs/new/?dataset={dataset.pk}").content.decode()

    changed = "changed 2026-11-02 09:30 UTC"
    assert f'<option value="{fork.pk}">{title} · #{fork.pk}, {changed}</option>' in page
    assert f'<option value="{capitals_session.pk}">{title} · #{capitals_session.pk}, ' in page
    assert ">Alone</option>" in page


def test_it_refuses_a_session_of_someone_else(bob, bob_client, capitals_session):
    dataset = make_dataset(bob, columns=("city",), rows=[{"city": "Oslo"}])

    response = bob_client.post(
        "/dataset-runs/new/", {"dataset": dataset.pk, "session": capitals_session.pk}
    )

    assert "Select a valid choice" in response.context["form"].errors["session"][0]
    assert not DatasetRun.objects.exists()


def test_it_says_why_a_run_cannot_start(alice_client, alice, capitals_session):
    dataset = make_dataset(alice, columns=("town",), rows=[{"town": "Oslo"}])

    response = alice_client.post(
        "/dataset-runs/new/", {"dataset": dataset.pk, "session": capitals_session.pk}
    )

    assert (
        response.context["form"]
        .non_field_errors()[0]
        .startswith("The dataset has no column for city")
    )


def test_it_refuses_a_prompt_that_uses_none_of_the_datasets_columns(
    alice_client, alice, fake_provider
):
    # Every row would send the same prompt: a session picked by mistake, most likely.
    session = make_session(alice, provider=fake_provider, prompt="Tell me a story")
    dataset = make_dataset(
        alice, columns=("town", "expected"), rows=[{"town": "Oslo", "expected": "Norway"}]
    )

    response = alice_client.post(
        "/dataset-runs/new/", {"dataset": dataset.pk, "session": session.pk}
    )

    assert response.context["form"].non_field_errors() == [
        "The prompt of “Tell me a story” has no {{variables}}, so every row would send the "
        "same prompt. Write the dataset's columns into it: {{town}}."
    ]
    assert not DatasetRun.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/dataset-runs/{run}/",
        "/dataset-runs/{run}/export.csv",
        "/dataset-runs/{run}/export.jsonl",
    ],
)
def test_outsider_gets_404(bob_client, finished_run, path):
    assert bob_client.get(path.format(run=finished_run.pk)).status_code == 404


@pytest.mark.parametrize("action", ["stop", "resume"])
def test_outsider_cannot_stop_or_resume(bob_client, finished_run, action):
    assert bob_client.post(f"/dataset-runs/{finished_run.pk}/{action}/").status_code == 404


def test_outsider_cannot_open_a_cell(bob_client, finished_run):
    result = finished_run.results.first()

    response = bob_client.post(f"/dataset-runs/{finished_run.pk}/results/{result.pk}/open/")

    assert response.status_code == 404
    assert not PlaygroundSession.objects.filter(owner__username="bob").exists()


def test_stop_answers_htmx_with_the_progress(
    alice, alice_client, capitals_session, make_capitals, tasks_wait
):
    run = lifecycle.start(alice, make_capitals(5), capitals_session).run

    response = alice_client.post(f"/dataset-runs/{run.pk}/stop/", headers={"HX-Request": "true"})

    page = response.content.decode()
    assert page.lstrip().startswith('<div id="run-progress"')
    assert 'data-status="stopped"' in page
    assert "5 cancelled" in page
    assert "Resume" in page


def test_model_output_is_escaped(alice, alice_client, upstream, capitals_session, make_capitals):
    upstream.respond_with(lambda body: Reply(completion_response(["<script>alert(1)</script>"])))
    run = lifecycle.start(alice, make_capitals(1), capitals_session).run

    page = alice_client.get(f"/dataset-runs/{run.pk}/").content.decode()

    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_filters_show_failures_and_rows_where_the_columns_differ(
    alice, alice_client, upstream, capitals_session, make_capitals
):
    from playground.runs.models import Comparison

    def answer(body):
        if body["prompt"].endswith("City1 is") and body["temperature"] == 1:
            return Reply({"error": {"message": "No"}}, status=400)
        if body["prompt"].endswith("City2 is") and body["temperature"] == 1:
            return Reply(completion_response(["something else"]))
        return answer_by_prompt(body)

    upstream.respond_with(answer)
    comparison = Comparison.objects.create(
        owner=alice, session=capitals_session, columns=[{"temperature": "0"}, {"temperature": "1"}]
    )
    run = lifecycle.start(alice, make_capitals(4), capitals_session, comparison).run

    def shown_rows(show):
        page = alice_client.get(f"/dataset-runs/{run.pk}/?show={show}").content.decode()
        return [i for i in range(4) if f'data-row="{i}"' in page]

    assert shown_rows("") == [0, 1, 2, 3]
    assert shown_rows("failures") == [1]
    assert shown_rows("differ") == [1, 2]


def test_it_exports_csv_and_jsonl(alice_client, finished_run):
    text = alice_client.get(f"/dataset-runs/{finished_run.pk}/export.csv").content.decode()
    lines = list(csv.DictReader(io.StringIO(text)))

    assert [line["city"] for line in lines] == ["City0", "City1", "City2"]
    assert lines[0]["output"] == capital("City0")
    assert lines[0]["exact"] == "True"
    assert lines[0]["status"] == "done"

    text = alice_client.get(f"/dataset-runs/{finished_run.pk}/export.jsonl").content.decode()
    records = [json.loads(line) for line in text.splitlines()]
    assert [r["values"]["city"] for r in records] == ["City0", "City1", "City2"]
    assert records[2]["choices"] == [{"text": capital("City2"), "finish_reason": "stop"}]
    assert records[2]["usage"]["total_tokens"] == 7


def test_no_cell_of_the_csv_starts_a_spreadsheet_formula(
    alice, alice_client, upstream, capitals_session
):
    # A model's output, and a row's values, as a spreadsheet would run them.
    upstream.respond_with(lambda body: Reply(completion_response(['=HYPERLINK("http://x")'])))
    dataset = make_dataset(
        alice, columns=("city", "expected"), rows=[{"city": "@SUM(A1)", "expected": "-3"}]
    )
    run = lifecycle.start(alice, dataset, capitals_session).run

    text = alice_client.get(f"/dataset-runs/{run.pk}/export.csv").content.decode()
    [line] = list(csv.DictReader(io.StringIO(text)))

    assert line["output"] == """'=HYPERLINK("http://x")"""
    assert (line["city"], line["expected"]) == ("'@SUM(A1)", "'-3")
    assert line["completion_tokens"].isdigit()
    # The JSONL keeps them as they are.
    text = alice_client.get(f"/dataset-runs/{run.pk}/export.jsonl").content.decode()
    assert json.loads(text)["output"] == '=HYPERLINK("http://x")'


def test_it_opens_a_cell_as_a_session_whose_run_is_the_cell(alice, alice_client, finished_run):
    result = finished_run.results.get(row_index=1)

    response = alice_client.post(f"/dataset-runs/{finished_run.pk}/results/{result.pk}/open/")

    session = PlaygroundSession.objects.exclude(pk=finished_run.session_id).get()
    assert response.url == f"/sessions/{session.pk}/"
    prompt = "The capital of City1 is"
    assert session.prompt == prompt + capital("City1")
    assert session.parameters["max_tokens"] == "8"
    assert session.provider_id == result.provider_id
    # The output is the session's one run, shown as the editor shows a run's text.
    run = Run.objects.get(session=session)
    assert (run.status, run.request_body["prompt"]) == (RunStatus.COMPLETED, prompt)
    assert run.choices[0]["text"] == capital("City1")
    assert session.node == f"{run.pk}:0"
    assert session.looks == [["p", len(prompt)], ["g", len(capital("City1"))]]
    assert run.form_state["prompt"] == prompt
    # It ran when the row did: opening cells starts no run, and counts against no cap.
    assert run.created_at == result.finished_at
    page = alice_client.get(response.url).text
    assert f'id="run-{run.pk}"' in page


def test_opening_cells_takes_none_of_the_runs_a_minute(alice, alice_client, finished_run, settings):
    settings.PLAYGROUND_RUNS_PER_MINUTE = 2
    for result in finished_run.results.all():
        alice_client.post(f"/dataset-runs/{finished_run.pk}/results/{result.pk}/open/")

    assert Run.objects.filter(owner=alice).count() == 3
    # As a launch asks it: in the transaction that would store the runs.
    with transaction.atomic():
        assert refusal_to_start(alice, runs=2) == ""


def test_a_cell_whose_provider_is_gone_opens_as_typed_text(alice_client, finished_run):
    result = finished_run.results.get(row_index=1)
    result.provider.delete()

    alice_client.post(f"/dataset-runs/{finished_run.pk}/results/{result.pk}/open/")

    session = PlaygroundSession.objects.exclude(pk=finished_run.session_id).get()
    assert session.prompt == "The capital of City1 is" + capital("City1")
    assert not Run.objects.filter(session=session).exists()
    assert session.node == ""


def test_resume_from_the_page_runs_the_failed_rows(
    alice, alice_client, upstream, capitals_session, make_capitals, fast_retries
):
    upstream.respond_with(lambda body: Reply({"error": {"message": "Down"}}, status=500))
    run = lifecycle.start(alice, make_capitals(2), capitals_session).run
    assert run.results.filter(status=ResultStatus.FAILED).count() == 2

    upstream.respond_with(answer_by_prompt)
    alice_client.post(f"/dataset-runs/{run.pk}/resume/")

    run.refresh_from_db()
    assert run.status == DatasetRunStatus.FINISHED
    assert run.results.filter(status=ResultStatus.DONE).count() == 2


def test_the_page_says_scores_are_pass_at_n(
    alice, alice_client, upstream, capitals_session, make_capitals
):
    capitals_session.parameters = {**capitals_session.parameters, "n": "2"}
    capitals_session.save()
    upstream.respond_with(answer_by_prompt)
    run = lifecycle.start(alice, make_capitals(1), capitals_session).run

    page = alice_client.get(f"/dataset-runs/{run.pk}/").content.decode()

    assert "they are pass@2: a row passes when any of its choices does" in page


def test_the_page_queues_work_for_a_run_whose_workers_died(
    alice, alice_client, capitals_session, make_capitals, tasks_wait
):
    from datetime import timedelta

    from django.utils import timezone

    from playground.datasetruns import claims
    from playground.datasetruns.tasks import work_on_dataset_run

    # The task's own backend: with REDIS_URL, django-tasks-rq's Task class has its own.
    backend = work_on_dataset_run.get_backend()
    run = lifecycle.start(alice, make_capitals(3), capitals_session).run

    def work_queued():
        return [r.args for r in backend.results if r.task.name == "work_on_dataset_run"]

    assert work_queued() == [[run.pk]]
    # A worker took two rows, and died: its claims lapsed long ago.
    held = claims.claim(run.pk, "dead", 2)
    long_ago = timezone.now() - timedelta(minutes=5)
    run.results.filter(pk__in=[r.pk for r in held]).update(claimed_until=long_ago)
    DatasetRun.objects.filter(pk=run.pk).update(heartbeat_at=long_ago, enqueued_at=long_ago)

    alice_client.get(f"/dataset-runs/{run.pk}/")

    assert work_queued() == [[run.pk]] * 2
    # Looked at again at once, it has a task coming: no third.
    alice_client.get(f"/dataset-runs/{run.pk}/")
    assert work_queued() == [[run.pk]] * 2
