"""Which worker works on which result of a dataset run, held in the results' rows.

A worker claims results for PLAYGROUND_DATASET_LEASE_SECONDS (claimed_by, claimed_until) and
renews the claim while it works on them. Only the holder of a claim may write the result
(write() checks claimed_by), and a result done is never claimed again, so however many
workers share a run, each result is written once. A worker that dies leaves its claims to
lapse: its results are claimed again by the next worker (attempts counts them).

Claims also bound the requests to each provider: a provider has at most max_concurrency
results claimed and live at once, over every dataset run and every worker. Claims for one
provider queue on its row (SELECT … FOR UPDATE; SQLite serialises write transactions
anyway), so two workers cannot both take its last free place.
"""

import os
import socket
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from playground.datasets.models import (
    DatasetResult,
    DatasetRun,
    DatasetRunStatus,
    ResultStatus,
)
from playground.providers.models import Provider


def new_worker_id() -> str:
    """Names one task's work on a run in its claims: machine, process, and a random part."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def lease() -> timedelta:
    return timedelta(seconds=settings.PLAYGROUND_DATASET_LEASE_SECONDS)


def claimable(now) -> Q:
    """Results no live worker holds: pending, or claimed by a worker whose claim lapsed."""
    return Q(status=ResultStatus.PENDING) | Q(status=ResultStatus.RUNNING, claimed_until__lt=now)


def _locked(queryset: QuerySet) -> QuerySet:
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True)
    return queryset


def _room(provider_id: int | None, now) -> int:
    """How many more results of this provider may be claimed now (its row stays locked
    until the transaction ends)."""
    if provider_id is None:
        # Its provider was deleted: the row fails at once, without a request.
        return 1_000_000
    provider = Provider.objects.select_for_update().filter(pk=provider_id).first()
    if provider is None:
        return 1_000_000
    live = DatasetResult.objects.filter(
        provider_id=provider_id, status=ResultStatus.RUNNING, claimed_until__gte=now
    ).count()
    return max(0, provider.max_concurrency - live)


def run_providers(run_id: int) -> list[int | None]:
    """The providers of the run's columns, in the order claims lock them (by id: two
    workers then never wait on each other's locks in turn)."""
    providers = DatasetResult.objects.filter(run_id=run_id).values_list("provider_id", flat=True)
    return sorted(set(providers), key=lambda p: (p is None, p or 0))


def claim(
    run_id: int, worker: str, most: int, providers: list[int | None] | None = None
) -> list[DatasetResult]:
    """Claims up to `most` results of the run for the worker, within each provider's room;
    [] when the run is not going, or has nothing this worker may take now. providers:
    run_providers(run_id), which a worker reads once."""
    now = timezone.now()
    claimed: list[int] = []
    with transaction.atomic():
        status = DatasetRun.objects.filter(pk=run_id).values_list("status", flat=True).first()
        if status not in (DatasetRunStatus.QUEUED, DatasetRunStatus.RUNNING):
            # A Stop that comes after this check finds the rows claimed here running: they
            # finish, as rows in hand do.
            return []
        if status == DatasetRunStatus.QUEUED:
            DatasetRun.objects.filter(pk=run_id, status=DatasetRunStatus.QUEUED).update(
                status=DatasetRunStatus.RUNNING, started_at=now, heartbeat_at=now
            )
        open_results = DatasetResult.objects.filter(claimable(now), run_id=run_id)
        for provider_id in run_providers(run_id) if providers is None else providers:
            room = min(_room(provider_id, now), most - len(claimed))
            if room <= 0:
                continue
            same = Q(provider__isnull=True) if provider_id is None else Q(provider_id=provider_id)
            picked = _locked(open_results.filter(same)).order_by("row_index", "column")
            ids = list(picked.values_list("pk", flat=True)[:room])
            claimed += ids
        if claimed:
            DatasetResult.objects.filter(pk__in=claimed).update(
                status=ResultStatus.RUNNING,
                claimed_by=worker,
                claimed_until=now + lease(),
                attempts=F("attempts") + 1,
            )
    return list(
        DatasetResult.objects.filter(pk__in=claimed)
        .select_related("row")
        .order_by("row_index", "column")
    )


def renew(run_id: int, worker: str) -> None:
    """Extends the worker's claims on the run's results, and says it is alive."""
    now = timezone.now()
    DatasetResult.objects.filter(
        run_id=run_id, claimed_by=worker, status=ResultStatus.RUNNING
    ).update(claimed_until=now + lease())
    DatasetRun.objects.filter(pk=run_id).update(heartbeat_at=now)


def write(result_id: int, worker: str, **fields) -> bool:
    """Writes a result the worker still holds (status done or failed, with what came back);
    False when its claim lapsed and went to another worker, which then writes it instead."""
    held = DatasetResult.objects.filter(
        pk=result_id, claimed_by=worker, status=ResultStatus.RUNNING
    )
    return bool(held.update(**fields, claimed_until=None, finished_at=timezone.now()))


def release(run_id: int, worker: str) -> None:
    """Gives the worker's unfinished claims back (a task cut short), for another to take."""
    DatasetResult.objects.filter(
        run_id=run_id, claimed_by=worker, status=ResultStatus.RUNNING
    ).update(status=ResultStatus.PENDING, claimed_by="", claimed_until=None)


def settle(run_id: int) -> str:
    """Ends the run once no result is left to run: finished, or stopped after a Stop. Its
    status, as it is now."""
    with transaction.atomic():
        run = DatasetRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None:
            return ""
        if not run.is_going:
            return run.status
        left = run.results.filter(status__in=(ResultStatus.PENDING, ResultStatus.RUNNING))
        if run.status == DatasetRunStatus.STOPPING:
            left = left.filter(status=ResultStatus.RUNNING, claimed_until__gte=timezone.now())
        if left.exists():
            return run.status
        ended = (
            DatasetRunStatus.STOPPED
            if run.status == DatasetRunStatus.STOPPING
            else DatasetRunStatus.FINISHED
        )
        if run.status == DatasetRunStatus.STOPPING:
            # Rows a dead worker held when Stop came: no one will finish them now.
            run.results.filter(status=ResultStatus.RUNNING).update(
                status=ResultStatus.CANCELLED, claimed_by="", claimed_until=None
            )
        DatasetRun.objects.filter(pk=run_id).update(status=ended, finished_at=timezone.now())
        return ended


def lost_its_workers(run: DatasetRun) -> bool:
    """Whether the run has work left that no worker is on, nor queued for: its workers died
    (a SIGKILL, a machine gone), so their claims lapsed and no task is coming."""
    if run.status not in (DatasetRunStatus.QUEUED, DatasetRunStatus.RUNNING):
        return False
    now = timezone.now()
    quiet_since = now - lease()
    recent = [t for t in (run.heartbeat_at, run.enqueued_at) if t is not None]
    if any(t >= quiet_since for t in recent):
        return False
    live = run.results.filter(status=ResultStatus.RUNNING, claimed_until__gte=now)
    return not live.exists() and run.results.filter(claimable(now)).exists()
