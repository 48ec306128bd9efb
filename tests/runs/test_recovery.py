"""Runs left streaming by a server that died are marked interrupted, keeping their text."""

from datetime import timedelta

import pytest
from django.utils import timezone

from playground.runs.models import Run, RunStatus
from playground.runs.recovery import mark_abandoned_runs_interrupted

from ..factories import make_run

pytestmark = pytest.mark.django_db

PARTIAL = [{"index": 0, "text": "half a sent", "logprobs": None, "finish_reason": None}]


def make_run_last_saved(owner, seconds_ago, status=RunStatus.STREAMING):
    run = make_run(owner, status=status, choices=PARTIAL)
    Run.objects.filter(pk=run.pk).update(updated_at=timezone.now() - timedelta(seconds=seconds_ago))
    return run


def test_it_marks_stale_streaming_runs_interrupted(alice, settings):
    settings.PLAYGROUND_SAVE_INTERVAL = 2
    run = make_run_last_saved(alice, seconds_ago=60)

    assert mark_abandoned_runs_interrupted() == 1

    run.refresh_from_db()
    assert run.status == RunStatus.INTERRUPTED
    assert run.error == (
        "The server stopped during this run; the text received until then is kept."
    )
    assert run.choices == PARTIAL


def test_it_leaves_runs_saved_recently(alice, settings):
    settings.PLAYGROUND_SAVE_INTERVAL = 2
    run = make_run_last_saved(alice, seconds_ago=1)

    assert mark_abandoned_runs_interrupted() == 0

    run.refresh_from_db()
    assert run.status == RunStatus.STREAMING


@pytest.mark.parametrize("status", [RunStatus.COMPLETED, RunStatus.STOPPED, RunStatus.FAILED])
def test_it_leaves_finished_runs(alice, settings, status):
    run = make_run_last_saved(alice, seconds_ago=3600, status=status)

    assert mark_abandoned_runs_interrupted() == 0

    run.refresh_from_db()
    assert run.status == status


def test_the_playground_page_marks_abandoned_runs(alice, alice_client):
    run = make_run_last_saved(alice, seconds_ago=3600)

    response = alice_client.get("/", follow=True)

    assert response.status_code == 200
    run.refresh_from_db()
    assert run.status == RunStatus.INTERRUPTED
