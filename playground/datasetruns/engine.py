"""A worker's share of a dataset run: claims results, sends each row upstream, writes each
result as it ends, until nothing is left to claim or its time slice is over.

Requests go out concurrently on one event loop, through the providers' one client
(providers/client.py), as many at once as the claims allow (claims.py: each provider's
max_concurrency, over all workers). Each is the request a run of the same form would send,
streamed or not as the session says, so that a cell of the results is what the editor would
have given, with the same timings (a streamed row has its time to first token).

A 429 or 5xx answer is retried after a wait: what its Retry-After asks, or else
PLAYGROUND_DATASET_RETRY_SECONDS doubling each time, at most PLAYGROUND_DATASET_MAX_RETRY_WAIT;
after PLAYGROUND_DATASET_MAX_ATTEMPTS requests the row fails with the provider's message.
"""

import asyncio
import contextlib
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.datastructures import MultiValueDict

from playground.datasets.models import DatasetResult, DatasetRun, ResultStatus
from playground.execution.accumulator import CompletionAccumulator
from playground.execution.execution import OutputCapReached
from playground.execution.fanout import plan_requests
from playground.providers.client import UpstreamError, stream_completion

from . import claims, scores
from .likelihood import can_score, score_expected
from .progress import ProgressPusher
from .requests import RowRequest, column_data, row_request

logger = logging.getLogger(__name__)

# The most rows one worker has in hand, whatever the providers' room.
MOST_IN_HAND = 64
# How often a worker that waits (for room at a provider, or for its rows) looks again.
POLL_SECONDS = 0.5
# How long a worker waits after a row ends before it claims more (see _work).
CLAIM_GATHER_SECONDS = 0.02

INTERNAL_ERROR = "The playground hit an internal error on this row; it is logged."


def is_retryable(error: UpstreamError) -> bool:
    return error.status == 429 or (error.status is not None and error.status >= 500)


def retry_wait(error: UpstreamError, attempt: int) -> float:
    """Seconds before sending again, after the attempt-th request (from 1) failed so."""
    most = settings.PLAYGROUND_DATASET_MAX_RETRY_WAIT
    if error.retry_after is not None:
        return min(error.retry_after, most)
    base = settings.PLAYGROUND_DATASET_RETRY_SECONDS * 2 ** (attempt - 1)
    # Jitter, so that rows refused together do not come back together.
    return min(base * random.uniform(0.5, 1.0), most)


@dataclass
class Prepared:
    result: DatasetResult
    request: RowRequest


class RunWork:
    """What one task does on one run (tasks.py)."""

    def __init__(
        self, run_id: int, worker: str, slice_seconds: float, most_in_hand: int = MOST_IN_HAND
    ):
        self.run_id = run_id
        self.most_in_hand = most_in_hand
        self.worker = worker
        self.deadline = time.monotonic() + slice_seconds
        self.in_hand: set[asyncio.Task] = set()
        self.pusher = ProgressPusher(run_id)
        self._columns: list[MultiValueDict] = []
        self._user: Any = None
        self._providers: list[int | None] = []
        # (provider, model) -> the probe's findings, read once per task.
        self._capabilities: dict = {}
        self._expected = False
        self._score_likelihood = False

    async def __call__(self) -> bool:
        """Works until nothing is left to claim or the slice is over; True when it stopped
        for the slice, with work left (the task then queues its successor)."""
        loaded = await database_sync_to_async(self._load)()
        if not loaded:
            return False
        self.pusher.start()
        renewing = asyncio.ensure_future(self._renew())
        try:
            return await self._work()
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            if self.in_hand:
                # Cut short (the worker is stopping): what is unfinished goes back.
                for task in self.in_hand:
                    task.cancel()
                await asyncio.gather(*self.in_hand, return_exceptions=True)
                await database_sync_to_async(claims.release)(self.run_id, self.worker)
            await database_sync_to_async(claims.settle)(self.run_id)
            await self.pusher.close()

    def _load(self) -> bool:
        run = DatasetRun.objects.select_related("dataset").filter(pk=self.run_id).first()
        if run is None:
            return False
        self._user = get_user_model().objects.get(pk=run.owner_id)
        self._columns = [column_data(run.session_state, changes) for changes in run.columns]
        self._providers = claims.run_providers(run.pk)
        claims.renew(run.pk, self.worker)
        self._expected = "expected" in run.dataset.columns
        self._score_likelihood = run.score_likelihood
        return True

    async def _work(self) -> bool:
        while True:
            in_slice = time.monotonic() < self.deadline
            room = self.most_in_hand - len(self.in_hand)
            prepared = []
            if in_slice and room > 0:
                prepared = await database_sync_to_async(self._claim)(room)
            for item in prepared:
                task = asyncio.ensure_future(self._run_row(item))
                self.in_hand.add(task)
                task.add_done_callback(self.in_hand.discard)
            if not self.in_hand:
                if not in_slice:
                    return True
                if not prepared and not await database_sync_to_async(self._may_get_more)():
                    return False
            if self.in_hand:
                done, _ = await asyncio.wait(
                    self.in_hand, timeout=POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED
                )
                if done:
                    # Rows end one by one: waiting a moment lets one claim take the places of
                    # several, which saves the database a transaction for each.
                    await asyncio.sleep(CLAIM_GATHER_SECONDS)
            elif not prepared:
                await asyncio.sleep(POLL_SECONDS)

    def _may_get_more(self) -> bool:
        """Whether the run has results left that this worker could claim later: pending or
        held by others (whose claims may lapse), while it is going."""
        run = DatasetRun.objects.filter(pk=self.run_id).first()
        if run is None or run.status not in ("queued", "running"):
            return False
        return run.results.filter(status__in=(ResultStatus.PENDING, ResultStatus.RUNNING)).exists()

    def _claim(self, most: int) -> list[Prepared]:
        claimed = claims.claim(self.run_id, self.worker, most, self._providers)
        user, capabilities = self._user, self._capabilities
        return [
            Prepared(
                result,
                row_request(self._columns[result.column], result.row.values, user, capabilities),
            )
            for result in claimed
        ]

    async def _renew(self) -> None:
        every = settings.PLAYGROUND_DATASET_LEASE_SECONDS / 3
        while True:
            await asyncio.sleep(every)
            try:
                await database_sync_to_async(claims.renew)(self.run_id, self.worker)
            except Exception:
                logger.warning("Could not renew the claims of %s", self.worker, exc_info=True)

    async def _write(self, result: DatasetResult, **fields) -> None:
        written = await database_sync_to_async(claims.write)(result.pk, self.worker, **fields)
        if written:
            self.pusher.note_change()

    async def _run_row(self, item: Prepared) -> None:
        result, request = item.result, item.request
        if request.error:
            await self._write(result, status=ResultStatus.FAILED, error=request.error)
            return
        try:
            fields = await self._send(request, result)
            expected = result.row.values.get("expected") if self._expected else None
            wanted = self._score_likelihood and expected is not None and can_score(request)
            if fields["status"] == ResultStatus.DONE and wanted:
                assert expected is not None
                fields["scores"] = {**fields["scores"], **await score_expected(request, expected)}
        except Exception:
            logger.exception("Dataset run %s, result %s", self.run_id, result.pk)
            fields = {"status": ResultStatus.FAILED, "error": INTERNAL_ERROR}
        await self._write(result, **fields)

    async def _send(self, request: RowRequest, result: DatasetResult) -> dict:
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._done(request, result, await self._once(request), attempt)
            except (UpstreamError, OutputCapReached) as exc:
                retry = isinstance(exc, UpstreamError) and is_retryable(exc)
                if not retry or attempt >= settings.PLAYGROUND_DATASET_MAX_ATTEMPTS:
                    return {
                        "status": ResultStatus.FAILED,
                        "error": exc.message,
                        "attempts": result.attempts + attempt - 1,
                    }
                assert isinstance(exc, UpstreamError)
                await asyncio.sleep(retry_wait(exc, attempt))

    async def _once(self, request: RowRequest) -> "Answer":
        assert request.provider is not None
        accumulator = CompletionAccumulator(max_chars=settings.PLAYGROUND_MAX_OUTPUT_CHARS)
        started = time.perf_counter()
        first_token_at = None
        for upstream in plan_requests(request.body, request.quirks)[0]:
            accumulator.start_request(upstream.index_offset)
            if upstream.echo_prompt:
                echoed = [
                    {"index": i, "text": upstream.echo_prompt} for i in range(upstream.choice_count)
                ]
                accumulator.add({"choices": echoed}, from_provider=False)
            chunks = stream_completion(request.provider, upstream.body)
            async with contextlib.aclosing(chunks):
                async for chunk in chunks:
                    new = accumulator.add(chunk.data, size=chunk.size)
                    if new.texts and first_token_at is None and upstream.body.get("stream"):
                        first_token_at = time.perf_counter()
                    if accumulator.capped:
                        raise OutputCapReached(settings.PLAYGROUND_MAX_OUTPUT_CHARS)
        ended = time.perf_counter()
        return Answer(accumulator, started, first_token_at, ended)

    def _done(self, request: RowRequest, result, answer: "Answer", attempt: int) -> dict:
        accumulator = answer.accumulator
        choices = accumulator.choices()
        texts = [choice["text"] for choice in choices]
        expected = result.row.values.get("expected") if self._expected else None
        logprobs = [c["logprobs"] for c in choices] if any(c["logprobs"] for c in choices) else None
        tokens, _ = accumulator.completion_tokens(count_chunks=bool(request.body.get("stream")))
        return {
            "status": ResultStatus.DONE,
            "output": texts[0] if texts else "",
            "choices": [{"text": c["text"], "finish_reason": c["finish_reason"]} for c in choices],
            "logprobs": logprobs,
            "usage": accumulator.usage,
            "completion_tokens": tokens,
            "finish_reason": (choices[0]["finish_reason"] or "") if choices else "",
            "total_ms": (answer.ended - answer.started) * 1000,
            "time_to_first_token_ms": (
                (answer.first_token_at - answer.started) * 1000
                if answer.first_token_at is not None
                else None
            ),
            "scores": scores.score(texts, expected),
            "attempts": result.attempts + attempt - 1,
            "error": "",
        }


@dataclass
class Answer:
    accumulator: CompletionAccumulator
    started: float
    first_token_at: float | None
    ended: float
