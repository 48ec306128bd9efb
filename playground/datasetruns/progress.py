"""A dataset run's progress: counted from its results in the database, so a reload, another
tab and the live socket all say the same; and pushed to the run's page as it changes.

The worker that writes results sends the progress to the run's channel-layer group, at most
every PUSH_INTERVAL (the last change always goes out). Through Redis that reaches the page's
socket in any server process (consumers.py); with the in-memory layer of the embedded
defaults the worker is another process, which no group reaches, so the socket reads the
progress from the database at the same interval instead.
"""

import asyncio
import contextlib
import logging
from dataclasses import asdict, dataclass
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import Count, Min
from django.utils import timezone

from playground.datasets.models import DatasetRun, ResultStatus

logger = logging.getLogger(__name__)

PUSH_INTERVAL = 0.25
# The rate behind "time left" is measured over the results of the last RATE_WINDOW.
RATE_WINDOW = timedelta(seconds=60)


def group_name(run_id: int) -> str:
    return f"datasetrun.{run_id}"


@dataclass
class Progress:
    run: int
    status: str
    total: int
    done: int
    failed: int
    cancelled: int
    running: int
    pending: int
    # Results a second over the last minute; None before the first.
    rate: float | None
    seconds_left: float | None

    @property
    def remaining(self) -> int:
        return self.pending + self.running

    @property
    def percent(self) -> int:
        ended = self.done + self.failed + self.cancelled
        return round(100 * ended / self.total) if self.total else 100

    def as_message(self) -> dict:
        return {"type": "datasetrun.progress", "progress": asdict(self)}


def progress_of(run: DatasetRun) -> Progress:
    counts = dict(
        run.results.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    now = timezone.now()
    since = max(run.started_at or now, now - RATE_WINDOW)
    recent = run.results.filter(
        status__in=(ResultStatus.DONE, ResultStatus.FAILED), finished_at__gte=since
    ).aggregate(n=Count("pk"), first=Min("finished_at"))
    rate = None
    if recent["n"] and run.started_at:
        seconds = (now - since).total_seconds()
        rate = recent["n"] / seconds if seconds > 0 else None
    remaining = counts.get(ResultStatus.PENDING, 0) + counts.get(ResultStatus.RUNNING, 0)
    seconds_left = None
    if run.is_going and rate:
        seconds_left = remaining / rate
    return Progress(
        run=run.pk,
        status=run.status,
        total=run.result_count,
        done=counts.get(ResultStatus.DONE, 0),
        failed=counts.get(ResultStatus.FAILED, 0),
        cancelled=counts.get(ResultStatus.CANCELLED, 0),
        running=counts.get(ResultStatus.RUNNING, 0),
        pending=counts.get(ResultStatus.PENDING, 0),
        rate=rate,
        seconds_left=seconds_left,
    )


def progress_now(run_id: int) -> Progress | None:
    run = DatasetRun.objects.filter(pk=run_id).first()
    return progress_of(run) if run else None


def announce(run_id: int) -> None:
    """Sends the run's progress to its group now (a Stop or a Resume from a page), once the
    transaction commits, so every page following it hears at once."""

    def send() -> None:
        try:
            progress = progress_now(run_id)
            if progress is not None:
                async_to_sync(get_channel_layer().group_send)(
                    group_name(run_id), progress.as_message()
                )
        except Exception:
            logger.warning("Could not announce the progress of dataset run %s", run_id)

    transaction.on_commit(send)


class ProgressPusher:
    """Sends a run's progress to its group after changes, at most every PUSH_INTERVAL."""

    def __init__(self, run_id: int):
        self.run_id = run_id
        self.changed = asyncio.Event()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._push_changes())

    def note_change(self) -> None:
        self.changed.set()

    async def close(self) -> None:
        """Stops, after a last push of the progress as it ends."""
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.push()

    async def _push_changes(self) -> None:
        while True:
            await self.changed.wait()
            self.changed.clear()
            await self.push()
            await asyncio.sleep(PUSH_INTERVAL)

    async def push(self) -> None:
        try:
            progress = await database_sync_to_async(progress_now)(self.run_id)
            if progress is not None:
                await get_channel_layer().group_send(group_name(self.run_id), progress.as_message())
        except Exception:
            # Progress is also read from the database by the page: a missed push only
            # makes it later.
            logger.warning("Could not push the progress of dataset run %s", self.run_id)
