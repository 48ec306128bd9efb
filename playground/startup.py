"""Work done once per server process, before it serves its first request."""

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError

from playground.providers.bootstrap import report_unreadable_secrets, sync_environment_provider
from playground.runs.recovery import mark_abandoned_runs_interrupted, stale_after_seconds

logger = logging.getLogger(__name__)


def prepare_on_start() -> None:
    """Best effort: a task that fails is logged, and the server serves all the same.

    Every request waits for these tasks (RunStartupTasks), so one that raised would fail
    every page, the login page included, for as long as the process lives.
    """
    tasks = (mark_abandoned_runs_interrupted, sync_environment_provider, report_unreadable_secrets)
    for task in tasks:
        try:
            task()
        except DatabaseError:
            # Not migrated yet: `manage.py migrate` comes first, and the next start does this.
            logger.warning("Start-up tasks skipped: the database is not ready (run migrate).")
            return
        except Exception:
            logger.exception("Start-up task %s failed; serving all the same.", task.__name__)


def mark_runs_of_the_last_process_interrupted() -> None:
    try:
        mark_abandoned_runs_interrupted()
    except DatabaseError:
        logger.warning("Could not mark the runs of a stopped server interrupted", exc_info=True)


class RunStartupTasks:
    """ASGI wrapper running prepare_on_start once (daphne has no lifespan events)."""

    def __init__(self, app):
        self.app = app
        self._started: asyncio.Future | None = None
        self._looked_again: asyncio.Future | None = None

    async def __call__(self, scope, receive, send):
        if self._started is None:
            self._started = asyncio.ensure_future(sync_to_async(prepare_on_start)())
            # A server killed just before this one started saved its runs too recently for
            # them to look abandoned yet: look again once they do, rather than leave them
            # "streaming" until someone opens a page.
            asyncio.get_running_loop().call_later(
                stale_after_seconds() + settings.PLAYGROUND_SAVE_INTERVAL, self._look_again
            )
        await asyncio.shield(self._started)
        return await self.app(scope, receive, send)

    def _look_again(self) -> None:
        self._looked_again = asyncio.ensure_future(
            sync_to_async(mark_runs_of_the_last_process_interrupted)()
        )
