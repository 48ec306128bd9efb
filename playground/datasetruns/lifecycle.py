"""Starting, stopping and resuming a dataset run; the page's part in keeping it going.

A dataset run is one run going against the user's PLAYGROUND_MAX_CONCURRENT_RUNS from when
it is queued until it has stopped or finished, and starts no run against
PLAYGROUND_RUNS_PER_MINUTE (execution/limits.py): its requests are bounded by each
provider's concurrency setting instead.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from playground.datasets.matching import missing_columns, session_variables, variable_columns
from playground.datasets.models import (
    Dataset,
    DatasetResult,
    DatasetRun,
    DatasetRunStatus,
    ResultStatus,
)
from playground.execution.comparing import columns_error
from playground.execution.limits import refusal_to_start
from playground.runs.models import Comparison
from playground.sessions.models import PlaygroundSession
from playground.sessions.state import session_state

from . import claims
from .progress import announce
from .requests import column_data, column_form, form_errors
from .tasks import queue_watch, queue_work

logger = logging.getLogger(__name__)

RESULTS_PER_INSERT = 1000


@dataclass
class Outcome:
    run: DatasetRun | None = None
    error: str = ""


def _label(form, changes: dict) -> str:
    provider = form.cleaned_data.get("provider")
    parts = [provider.name if provider else "?", form.cleaned_data.get("model") or "?"]
    parts += [
        f"{name} {value}"
        for name, value in changes.items()
        if name not in ("provider", "model") and value not in ("", [])
    ]
    return " · ".join(parts)


def start(
    user,
    dataset: Dataset,
    session: PlaygroundSession,
    comparison: Comparison | None = None,
    score_likelihood: bool = False,
) -> Outcome:
    """Makes a dataset run of the session (with the comparison's columns, if given) over
    every row of the dataset, and queues its work; or says why not. score_likelihood: also
    score the log-probability of each row's `expected` (likelihood.py)."""
    missing = missing_columns(dataset, session)
    if missing:
        return Outcome(
            error=f"The dataset has no column for {', '.join(missing)}: "
            "every row would fail. Add the column, or change the prompt."
        )
    if not session_variables(session) and (names := variable_columns(dataset)):
        wanted = ", ".join("{{" + name + "}}" for name in names[:3])
        return Outcome(
            error=f"The prompt of “{session.display_title}” has no {{{{variables}}}}, so every "
            f"row would send the same prompt. Write the dataset's columns into it: {wanted}."
        )
    state = session_state(session)
    columns = comparison.columns if comparison is not None else [{}]
    if comparison is not None and (problem := columns_error(columns)):
        return Outcome(error=problem)
    labels, providers = [], []
    for index, changes in enumerate(columns):
        form = column_form(column_data(state, changes), user)
        if not form.is_valid():
            where = f"Column {index + 1}: " if comparison is not None else ""
            return Outcome(error=where + form_errors(form))
        labels.append(_label(form, changes))
        providers.append(form.cleaned_data["provider"])
    with transaction.atomic():
        refusal = refusal_to_start(user, runs=0)
        if refusal:
            return Outcome(error=refusal)
        rows = list(dataset.rows.values_list("pk", "index"))
        run = DatasetRun.objects.create(
            owner=user,
            dataset=dataset,
            session=session,
            session_title=session.display_title[:200],
            session_state=state,
            columns=columns,
            column_labels=labels,
            score_likelihood=score_likelihood and "expected" in dataset.columns,
            result_count=len(rows) * len(columns),
        )
        DatasetResult.objects.bulk_create(
            (
                DatasetResult(
                    run=run, row_id=pk, row_index=index, column=column, provider=providers[column]
                )
                for pk, index in rows
                for column in range(len(columns))
            ),
            batch_size=RESULTS_PER_INSERT,
        )
        transaction.on_commit(lambda: _queue(run.pk))
    return Outcome(run=run)


def _queue(run_id: int, watch: bool = True) -> None:
    try:
        for _ in range(settings.PLAYGROUND_DATASET_TASKS_PER_RUN):
            queue_work(run_id)
        if watch:
            queue_watch(run_id)
    except Exception:
        # The queue's store (Redis, or the database) is down: the run's page queues its
        # work when it next finds no worker on it (ensure_worker).
        logger.exception("Could not queue the work of dataset run %s.", run_id)


def stop(run: DatasetRun) -> None:
    """Cancels the rows not started; the rows in hand finish, then the run is stopped."""
    with transaction.atomic():
        locked = DatasetRun.objects.select_for_update().filter(pk=run.pk).first()
        if locked is None or not locked.is_going:
            return
        locked.results.filter(status=ResultStatus.PENDING).update(status=ResultStatus.CANCELLED)
        DatasetRun.objects.filter(pk=run.pk).update(status=DatasetRunStatus.STOPPING)
    claims.settle(run.pk)
    announce(run.pk)


def resume(user, run: DatasetRun) -> str:
    """Runs again the rows that failed, were cancelled or are missing; "" or why not."""
    with transaction.atomic():
        locked = DatasetRun.objects.select_for_update().filter(pk=run.pk).first()
        if locked is None or locked.is_going:
            return "This run is still going."
        refusal = refusal_to_start(user, runs=0)
        if refusal:
            return refusal
        again = locked.results.filter(status__in=(ResultStatus.FAILED, ResultStatus.CANCELLED))
        count = again.update(
            status=ResultStatus.PENDING,
            error="",
            claimed_by="",
            claimed_until=None,
            finished_at=None,
        )
        count += _add_missing(locked)
        if not count:
            return "Every row is done: there is nothing to resume."
        DatasetRun.objects.filter(pk=run.pk).update(
            status=DatasetRunStatus.QUEUED, finished_at=None
        )
        announce(run.pk)
        transaction.on_commit(lambda: _queue(run.pk))
    return ""


def _add_missing(run: DatasetRun) -> int:
    """Results for the rows and columns the run has none for; how many."""
    have = set(run.results.values_list("row_id", "column"))
    providers = dict(run.results.values_list("column", "provider_id").distinct())
    missing = [
        DatasetResult(
            run=run, row_id=pk, row_index=index, column=column, provider_id=providers.get(column)
        )
        for pk, index in run.dataset.rows.values_list("pk", "index")
        for column in range(len(run.columns))
        if (pk, column) not in have
    ]
    DatasetResult.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


def ensure_worker(run_id: int) -> None:
    """Queues work for a run whose workers died (tasks.py); ends one with nothing left."""
    run = DatasetRun.objects.filter(pk=run_id).first()
    if run is None or not run.is_going:
        return
    if claims.lost_its_workers(run):
        logger.warning("Dataset run %s has no worker: queueing its work again.", run_id)
        _queue(run_id, watch=False)
    claims.settle(run_id)
