"""Work done once per server process, before it serves its first request."""

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.db import DatabaseError

from playground.providers.bootstrap import sync_environment_provider
from playground.runs.recovery import mark_abandoned_runs_interrupted

logger = logging.getLogger(__name__)


def prepare_on_start() -> None:
    try:
        mark_abandoned_runs_interrupted()
        sync_environment_provider()
    except DatabaseError:
        # Not migrated yet: `manage.py migrate` comes first, and the next start does this.
        logger.warning("Start-up tasks skipped: the database is not ready (run migrate).")


class RunStartupTasks:
    """ASGI wrapper running prepare_on_start once (daphne has no lifespan events)."""

    def __init__(self, app):
        self.app = app
        self._started: asyncio.Future | None = None

    async def __call__(self, scope, receive, send):
        if self._started is None:
            self._started = asyncio.ensure_future(sync_to_async(prepare_on_start)())
        await asyncio.shield(self._started)
        return await self.app(scope, receive, send)
