"""The dataset run page's socket: it only receives, the run's progress as HTML fragments
that htmx's ws extension swaps into the page by id (templates/datasetruns/detail.html,
partial "progress").

Only the run's owner may open it; a logout or a password change closes it
(accounts/sockets.py). The progress comes from the run's channel-layer group, which its
workers push to (progress.py), and from the database, read every POLL_SECONDS: that is
what the page gets with the in-memory layer, which a worker in another process cannot
reach, and what notices a run whose workers died (lifecycle.ensure_worker).
"""

import asyncio
import contextlib
import logging
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import InMemoryChannelLayer
from django.template.loader import render_to_string

from playground.accounts.sockets import ClosesWhenAccessEnds
from playground.datasets.models import GOING_STATUSES, DatasetRun

from . import lifecycle
from .progress import PUSH_INTERVAL, Progress, group_name, progress_now

logger = logging.getLogger(__name__)

# With Redis the workers push; the database is read now and then, for a dead worker.
POLL_SECONDS_WITH_PUSHES = 5.0


def _render(progress: Progress, run: DatasetRun, refresh_rows: bool) -> str:
    context = {"progress": progress, "run": run, "refresh_rows": refresh_rows}
    return render_to_string("datasetruns/detail.html#progress", context).strip()


class DatasetRunConsumer(ClosesWhenAccessEnds, AsyncJsonWebsocketConsumer):
    access_revoked_error = "You are logged out: log in again to follow this run."
    run: DatasetRun | None = None
    polling: asyncio.Task | None = None
    shown: Progress | None = None
    # Whether the page shows the rows as they were while the run was going (the page says
    # which status it rendered them at, in ?rows=): once the run ends, it fetches them again.
    rows_going = False

    def has_access(self, user) -> bool:
        run_id = self.scope["url_route"]["kwargs"]["run_id"]
        return user.is_authenticated and DatasetRun.objects.filter(pk=run_id, owner=user).exists()

    async def connect(self):
        user = self.scope["user"]
        run_id = self.scope["url_route"]["kwargs"]["run_id"]
        if not await database_sync_to_async(self.has_access)(user):
            await self.close()
            return
        self.run = await database_sync_to_async(DatasetRun.objects.get)(pk=run_id)
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.rows_going = query.get("rows", [""])[0] in GOING_STATUSES
        await self.channel_layer.group_add(group_name(run_id), self.channel_name)
        await self.join_user_group()
        await self.accept()
        self.polling = asyncio.ensure_future(self._poll())

    async def disconnect(self, code):
        if self.polling:
            self.polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.polling
        if self.run is not None:
            with contextlib.suppress(Exception):
                await self.channel_layer.group_discard(group_name(self.run.pk), self.channel_name)
        await self.leave_user_group()

    async def on_access_revoked(self):
        if self.polling:
            self.polling.cancel()

    async def datasetrun_progress(self, event):
        await self._show(Progress(**event["progress"]))

    async def receive_json(self, content, **kwargs):
        pass  # Nothing is read from the page: Stop and Resume are posts.

    async def _poll(self):
        assert self.run is not None
        pushed = not isinstance(self.channel_layer, InMemoryChannelLayer)
        every = POLL_SECONDS_WITH_PUSHES if pushed else PUSH_INTERVAL
        run_id = self.run.pk
        while True:
            try:
                await database_sync_to_async(lifecycle.ensure_worker)(run_id)
                progress = await database_sync_to_async(progress_now)(run_id)
            except Exception:
                logger.warning("Could not read the progress of dataset run %s", run_id)
                progress = None
            if progress is not None:
                await self._show(progress)
            await asyncio.sleep(every)

    async def _show(self, progress: Progress) -> None:
        if self.access_ended or self.run is None:
            return
        same = self.shown is not None and (
            (self.shown.done, self.shown.failed, self.shown.cancelled, self.shown.status)
            == (progress.done, progress.failed, progress.cancelled, progress.status)
        )
        if same:
            return
        self.shown = progress
        self.run.status = progress.status
        going = progress.status in GOING_STATUSES
        refresh_rows = self.rows_going and not going
        self.rows_going = going
        await self.send(text_data=_render(progress, self.run, refresh_rows))
