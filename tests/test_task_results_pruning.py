"""serve deletes the database backend's old finished task results (playground/worker.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from playground.worker import prune_task_results

pytestmark = pytest.mark.django_db

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def task_result(status: str, finished_days_ago: float | None) -> DBTaskResult:
    now = timezone.now()
    return DBTaskResult.objects.create(
        status=status,
        finished_at=None if finished_days_ago is None else now - timedelta(days=finished_days_ago),
        args_kwargs={"args": [1], "kwargs": {}},
        task_path="playground.datasetruns.tasks.work_on_dataset_run",
        queue_name="default",
        backend_name="default",
        run_after=now,
    )


def test_finished_results_older_than_the_setting_go_and_the_rest_stay(settings):
    settings.TASKS = DATABASE_BACKEND
    settings.PLAYGROUND_TASK_RESULTS_KEEP_DAYS = 14
    old_success = task_result("SUCCESSFUL", 20)
    old_failure = task_result("FAILED", 15)
    recent = task_result("SUCCESSFUL", 2)
    waiting = task_result("READY", None)
    running = task_result("RUNNING", None)

    prune_task_results()

    kept = set(DBTaskResult.objects.values_list("id", flat=True))
    assert kept == {recent.id, waiting.id, running.id}
    assert not {old_success.id, old_failure.id} & kept


def test_on_the_rq_backend_it_leaves_the_database_alone(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
    old = task_result("SUCCESSFUL", 20)

    prune_task_results()

    assert DBTaskResult.objects.filter(id=old.id).exists()
