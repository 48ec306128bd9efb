"""Runs one completion: streams it from the provider to the page and saves it as it goes."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils import timezone

from playground.providers.client import UpstreamError, stream_completion
from playground.providers.models import Provider

from .accumulator import CompletionAccumulator
from .coalescer import FrameCoalescer
from .models import Run, RunStatus
from .notices import shortfall_notices

logger = logging.getLogger(__name__)

SendFrame = Callable[[dict], Awaitable[None]]


@database_sync_to_async
def _save_partial(run_id: int, choices: list[dict]) -> None:
    Run.objects.filter(pk=run_id).update(choices=choices, updated_at=timezone.now())


@database_sync_to_async
def _save_final(run: Run) -> None:
    run.save()


class RunExecution:
    """One run, from the first byte upstream to the saved final state.

    stop() cancels only the upstream stream, so the final state is always saved and
    reported, however the run ends.
    """

    def __init__(self, run: Run, provider: Provider, send: SendFrame):
        self.run = run
        self.provider = provider
        self.send = send
        self.accumulator = CompletionAccumulator()
        self.first_token_at: float | None = None
        self._streaming: asyncio.Task | None = None

    def stop(self) -> None:
        if self._streaming:
            self._streaming.cancel()

    async def __call__(self) -> Run:
        run = self.run
        started = time.perf_counter()
        coalescer = FrameCoalescer(self._send_delta)
        self._streaming = asyncio.create_task(self._stream(coalescer))
        await asyncio.wait([self._streaming])
        await coalescer.close()
        if self._streaming.cancelled():
            run.status = RunStatus.STOPPED
            run.error = "Stopped before the provider finished."
        elif isinstance(self._streaming.exception(), UpstreamError):
            run.status = RunStatus.FAILED
            run.error = self._streaming.exception().message
        elif self._streaming.exception() is not None:
            logger.error("Run %s failed", run.pk, exc_info=self._streaming.exception())
            run.status = RunStatus.FAILED
            run.error = "The playground hit an internal error during this run; it is logged."
        else:
            run.status = RunStatus.COMPLETED
        self._finish(started)
        await _save_final(run)
        return run

    async def _stream(self, coalescer: FrameCoalescer) -> None:
        last_save = time.monotonic()
        async for chunk in stream_completion(self.provider, self.run.request_body):
            deltas = self.accumulator.add(chunk.data)
            if deltas:
                if self.first_token_at is None:
                    self.first_token_at = time.perf_counter()
                coalescer.add(deltas)
            if time.monotonic() - last_save >= settings.PLAYGROUND_SAVE_INTERVAL:
                last_save = time.monotonic()
                await _save_partial(self.run.pk, self.accumulator.choices())

    async def _send_delta(self, deltas: dict[int, str]) -> None:
        await self.send(
            {"type": "delta", "run": self.run.pk, "choices": {str(i): t for i, t in deltas.items()}}
        )

    def _finish(self, started: float) -> None:
        run, accumulator = self.run, self.accumulator
        now = time.perf_counter()
        run.choices = accumulator.choices()
        run.usage = accumulator.usage
        run.raw_response = accumulator.raw
        run.raw_truncated = accumulator.raw_truncated
        run.total_ms = (now - started) * 1000
        if self.first_token_at is not None:
            run.time_to_first_token_ms = (self.first_token_at - started) * 1000
        run.completion_tokens, run.tokens_from_usage = accumulator.completion_tokens()
        if run.status == RunStatus.COMPLETED:
            run.notices = shortfall_notices(run.request_body, run.choices, run.usage)
