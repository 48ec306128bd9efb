"""The background tasks of dataset runs (django.tasks, as providers/tasks.py): the work
itself, in time slices, and a watch that takes up a run whose workers died.

A worker killed outright loses the task it ran (README, Background worker): db_worker
leaves it marked as running, RQ abandons it. The run's results do not depend on it: its
claims lapse (claims.py), and whoever notices that the run has work left that no worker is
on queues a new task for it. Two notice: the run's watch, a task queued to run every
lease period while the run is going (on backends that can run a task later), and the run's
page and socket, whenever they read its progress (lifecycle.ensure_worker).
"""

import logging
from datetime import timedelta

from asgiref.sync import async_to_sync
from django.conf import settings
from django.tasks import task
from django.utils import timezone

from playground.datasets.models import DatasetRun

from . import claims
from .engine import RunWork

logger = logging.getLogger(__name__)


@task
def work_on_dataset_run(run_id: int) -> None:
    """Runs the run's rows for a slice of time; queues its successor if work is left."""
    worker = claims.new_worker_id()
    more = async_to_sync(RunWork(run_id, worker, settings.PLAYGROUND_DATASET_TASK_SLICE_SECONDS))()
    if more:
        queue_work(run_id)


@task
def watch_dataset_run(run_id: int) -> None:
    """Queues work for the run if its workers died; watches again later while it is going."""
    run = DatasetRun.objects.filter(pk=run_id).first()
    if run is None or not run.is_going:
        return
    if claims.lost_its_workers(run):
        logger.warning("Dataset run %s lost its workers: queueing its work again.", run_id)
        queue_work(run_id)
    claims.settle(run_id)
    queue_watch(run_id)


def queue_work(run_id: int) -> None:
    # Marked first: an immediate backend (tests) runs the task inside enqueue().
    DatasetRun.objects.filter(pk=run_id).update(enqueued_at=timezone.now())
    work_on_dataset_run.enqueue(run_id)


def queue_watch(run_id: int) -> None:
    """Queues the run's next watch, where the backend can run a task later (not the
    ImmediateBackend of tests, where the page's reads notice instead)."""
    if not watch_dataset_run.get_backend().supports_defer:
        return
    later = timezone.now() + timedelta(seconds=settings.PLAYGROUND_DATASET_LEASE_SECONDS)
    watch_dataset_run.using(run_after=later).enqueue(run_id)
