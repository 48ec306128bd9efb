"""Fault: the db_worker running a dataset run is killed outright (SIGKILL) mid-run, and
another is started, as `manage.py serve` starts one again.

The killed worker's task is lost (db_worker leaves it marked as running for ever), and so
are the rows it had in hand, whose requests may have reached the provider. Their claims
lapse; the run's watch, a task queued for later, finds the run without a worker and queues
its work again; the new worker runs the rest. Every row ends done exactly once: each is in
the results once, and sent again only if it was in hand when the worker died.
"""

import os
import signal

import pytest

from tests.support.live_worker import (
    running,
    start_dataset_run,
    wait_for_dataset_run,
    worker_command,
)

from ..fake_upstream import Reply, completion_response

pytestmark = pytest.mark.subprocess

ROWS = 60
CONCURRENCY = 4
# Short, so that the killed worker's claims lapse, and the watch comes, within seconds.
LEASE_SECONDS = 2


def slow_answer(body):
    # 60 rows, 4 at a time, 0.2 s each: 3 s of work, long enough to be killed in the middle.
    return Reply(completion_response([" answer " + body["prompt"]]), delay=0.2)


def test_a_killed_worker_loses_no_row_and_runs_none_twice_into_the_results(
    stopped_server, upstream, tmp_path
):
    upstream.respond_with(slow_answer)
    server = stopped_server(REDIS_URL="", PLAYGROUND_DATASET_LEASE_SECONDS=str(LEASE_SECONDS))
    alice = server.create_user("alice")
    provider = server.create_provider(alice, upstream.base_url)
    run = start_dataset_run(server, alice, provider, rows=ROWS, max_concurrency=CONCURRENCY)
    command = worker_command(server)
    assert "db_worker" in command

    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    with running(command, server, first_log) as first:
        state = wait_for_dataset_run(server, run, lambda s: s.get("done", 0) >= 10, first_log)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    killed_at = wait_for_dataset_run(server, run, lambda s: True)
    assert killed_at["status"] == "running"
    assert killed_at.get("done", 0) < ROWS

    with running(command, server, second_log):
        state = wait_for_dataset_run(server, run, lambda s: s["status"] == "finished", second_log)

    assert state == {"status": "finished", "done": ROWS}
    results = server.django(
        """
        from playground.datasets.models import DatasetResult
        rows = DatasetResult.objects.filter(run_id=params["run"])
        result = sorted(rows.values_list("row_index", flat=True))
        """,
        run=run,
    )
    assert results == list(range(ROWS))
    prompts = [request.body["prompt"] for request in upstream.completion_requests]
    assert set(prompts) == {f"Row {i}:" for i in range(ROWS)}
    # Sent twice: only what the killed worker had in hand.
    assert len(prompts) - ROWS <= CONCURRENCY
