"""A dataset run in the real background workers: db_worker (the embedded default) and
rqworker (REDIS_URL), each started with the command `manage.py serve` would use."""

import pytest

from tests.support.live_worker import (
    running,
    start_dataset_run,
    wait_for_dataset_run,
    worker_command,
)
from tests.test_worker import redis_answers

from ..fake_upstream import Reply, completion_response

pytestmark = pytest.mark.subprocess

# The brief's Redis database for dataset runs' tests; the test empties its queue.
REDIS_FOR_DATASET_RUNS = "redis://127.0.0.1:6379/10"


def answer(body):
    return Reply(completion_response([" answer " + body["prompt"].split()[1].rstrip(":")]))


def finished(state):
    return state["status"] == "finished"


def run_to_the_end(server, upstream, tmp_path):
    upstream.respond_with(answer)
    alice = server.create_user("alice")
    provider = server.create_provider(alice, upstream.base_url)
    run = start_dataset_run(server, alice, provider, rows=30)
    log = tmp_path / "worker.log"
    with running(worker_command(server), server, log):
        return wait_for_dataset_run(server, run, finished, log)


def assert_every_row_done_once(state, upstream, rows=30):
    assert state == {"status": "finished", "done": rows}
    prompts = [request.body["prompt"] for request in upstream.completion_requests]
    assert sorted(prompts) == sorted(f"Row {i}:" for i in range(rows))


def test_db_worker_runs_a_dataset_run_to_finished(stopped_server, upstream, tmp_path):
    server = stopped_server(REDIS_URL="")

    state = run_to_the_end(server, upstream, tmp_path)

    assert_every_row_done_once(state, upstream)


@pytest.mark.skipif(
    not redis_answers(REDIS_FOR_DATASET_RUNS), reason=f"needs Redis at {REDIS_FOR_DATASET_RUNS}"
)
def test_rqworker_runs_a_dataset_run_to_finished(stopped_server, upstream, tmp_path):
    server = stopped_server(REDIS_URL=REDIS_FOR_DATASET_RUNS)
    server.django("import django_rq\ndjango_rq.get_queue('default').empty()")

    state = run_to_the_end(server, upstream, tmp_path)

    assert_every_row_done_once(state, upstream)
