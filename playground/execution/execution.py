"""Runs one completion: streams it from the provider to the page and saves it as it goes."""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from playground.providers.client import UpstreamError, stream_completion
from playground.providers.models import Provider
from playground.runs.models import Run, RunStatus

from .accumulator import CompletionAccumulator, NewOutput
from .coalescer import FrameCoalescer
from .fanout import plan_requests, quirk_notices, sent_requests
from .notices import shortfall_notices

logger = logging.getLogger(__name__)

SendFrame = Callable[[dict], Awaitable[None]]

# What the page says when a run's end could not be stored (the database went away mid-run).
NOT_SAVED = (
    "The database could not be reached when this run ended, so its final state was not "
    "saved; the text saved while it streamed is kept."
)

# What a stopped run's card says, unless whoever stopped it gave a reason of its own.
STOPPED = "Stopped before the provider finished."


class OutputCapReached(Exception):
    """The run's text reached PLAYGROUND_MAX_OUTPUT_CHARS: it stops reading and fails."""

    def __init__(self, max_chars: int):
        self.message = f"Output stopped at {max_chars:,} characters, the playground's cap."
        super().__init__(self.message)


@database_sync_to_async
def _save_partial(run_id: int, choices: list[dict]) -> None:
    Run.objects.filter(pk=run_id).update(choices=choices, updated_at=timezone.now())


# What the end of a run sets, and all its final save writes: the provider may have been
# deleted meanwhile, and writing its stale id back would break the foreign key.
FINAL_FIELDS = (
    "status",
    "error",
    "notices",
    "choices",
    "usage",
    "raw_response",
    "raw_truncated",
    "total_ms",
    "time_to_first_token_ms",
    "completion_tokens",
    "tokens_from_usage",
    "sent_requests",
    "updated_at",
)


@database_sync_to_async
def _save_final(run: Run, then: Callable[[Run], object] | None) -> object:
    run.updated_at = timezone.now()
    Run.objects.filter(pk=run.pk).update(**{name: getattr(run, name) for name in FINAL_FIELDS})
    # In the same trip to the database thread: each trip costs a connection.
    return then(run) if then else None


class RunExecution:
    """One run, from the first byte upstream to the saved final state.

    stop() cancels only the upstream stream, so the final state is always saved and
    reported, however the run ends.
    """

    def __init__(
        self,
        run: Run,
        provider: Provider,
        send: SendFrame,
        after_save: Callable[[Run], Any] | None = None,
        *,
        quirks: Sequence[str],
    ):
        """after_save(run), if given, runs in the database thread once the final state is
        saved (rendering the run's card, say); its result is kept in self.after_save_result.
        """
        self.run = run
        self.provider = provider
        self.send = send
        self.after_save = after_save
        self.after_save_result: Any = None
        # False when the final state could not be stored.
        self.saved = True
        self.accumulator = CompletionAccumulator(max_chars=settings.PLAYGROUND_MAX_OUTPUT_CHARS)
        self.first_token_at: float | None = None
        self._streaming: asyncio.Task | None = None
        self.stop_reason: str | None = None
        # Of the provider and the run's model, as the probe measured them (launch.py).
        self.quirks = list(quirks)
        self.requests, self.plan_notes = plan_requests(run.request_body, self.quirks)
        # How many of self.requests were sent (or begun): a stop may come between them.
        self.requests_sent = 0

    def stop(self, reason: str = STOPPED) -> None:
        """Ends the run early; reason is what its card says. Works before it has started too."""
        self.stop_reason = self.stop_reason or reason
        if self._streaming:
            self._streaming.cancel()

    async def __call__(self) -> Run:
        run = self.run
        started = time.perf_counter()
        coalescer = FrameCoalescer(self._send_output)
        self._streaming = streaming = asyncio.create_task(self._stream(coalescer))
        if self.stop_reason:
            streaming.cancel()
        await self._save_while_streaming(streaming)
        await coalescer.close()
        if streaming.cancelled():
            run.status = RunStatus.STOPPED
            run.error = self.stop_reason or STOPPED
        elif isinstance(failure := streaming.exception(), UpstreamError | OutputCapReached):
            run.status = RunStatus.FAILED
            run.error = failure.message
        elif failure is not None:
            logger.error("Run %s failed", run.pk, exc_info=failure)
            run.status = RunStatus.FAILED
            run.error = "The playground hit an internal error during this run; it is logged."
        else:
            run.status = RunStatus.COMPLETED
        # A stopped task keeps its CancelledError, whose traceback keeps _stream's frame
        # and so this execution: let go of the task, or all of it waits for the collector.
        self._streaming = None
        self._finish(started)
        try:
            self.after_save_result = await _save_final(run, self.after_save)
        except DatabaseError:
            logger.warning("Could not save the end of run %s", run.pk, exc_info=True)
            self.saved = False
        return run

    async def _save_while_streaming(self, streaming: asyncio.Task) -> None:
        # On a clock rather than per chunk: a run waiting for a slow first token, or for a
        # whole non-streamed answer, must not look abandoned to mark_abandoned_runs_interrupted.
        while True:
            done, _ = await asyncio.wait([streaming], timeout=settings.PLAYGROUND_SAVE_INTERVAL)
            if done:
                return
            try:
                await _save_partial(self.run.pk, self.accumulator.choices())
            except DatabaseError:
                # The final save still comes; a missed partial one must not lose the run.
                logger.warning("Could not save run %s while streaming", self.run.pk, exc_info=True)

    async def _stream(self, coalescer: FrameCoalescer) -> None:
        # One request, unless the provider's quirks made the playground split it up.
        for request in self.requests:
            self.requests_sent += 1
            self.accumulator.start_request(request.index_offset)
            if request.echo_prompt:
                echoed = [
                    {"index": i, "text": request.echo_prompt} for i in range(request.choice_count)
                ]
                coalescer.add(self.accumulator.add({"choices": echoed}, from_provider=False))
            # Closed as soon as the loop ends, so reaching the cap hangs up on the provider.
            chunks = stream_completion(self.provider, request.body)
            async with contextlib.aclosing(chunks):
                async for chunk in chunks:
                    new = self.accumulator.add(chunk.data, size=chunk.size)
                    # A non-streamed answer comes whole: it has no first token to time.
                    if new.texts and self.first_token_at is None and request.body.get("stream"):
                        self.first_token_at = time.perf_counter()
                    if new:
                        coalescer.add(new)
                    if self.accumulator.capped:
                        raise OutputCapReached(settings.PLAYGROUND_MAX_OUTPUT_CHARS)

    async def _send_output(self, new: NewOutput) -> None:
        # The text first: a page tints only text it already shows.
        run_id = self.run.pk
        if new.texts:
            texts = {str(index): text for index, text in new.texts.items()}
            await self.send({"type": "delta", "run": run_id, "choices": texts})
        if new.tokens:
            tokens = {str(index): entries for index, entries in new.tokens.items()}
            await self.send({"type": "tokens", "run": run_id, "choices": tokens})

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
        run.completion_tokens, run.tokens_from_usage = accumulator.completion_tokens(
            count_chunks=run.streamed
        )
        run.sent_requests = sent_requests(run.request_body, self.requests[: self.requests_sent])
        run.notices = list(self.plan_notes)
        if run.status == RunStatus.COMPLETED:
            body, quirks = run.request_body, self.quirks
            run.notices += shortfall_notices(body, run.choices, run.usage)
            run.notices += quirk_notices(body, quirks, run.completion_tokens)
