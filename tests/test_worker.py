"""The background workers run a provider probe queued through django.tasks, in subprocesses.

db_worker on the database backend (the embedded default), and rqworker on the RQ backend
(REDIS_URL), each started with the command `manage.py serve` would use, on a database of
its own that the test reaches through a LiveDaphne's helper (daphne itself is not started:
stopped_server, tests/support/live_server.py).
"""

import pytest
import redis

from .providers.fake_provider import OPENAI, openai_like
from .support.live_daphne import LiveDaphne
from .support.live_worker import queue_probe, running, wait_for_task, worker_command

pytestmark = pytest.mark.subprocess

# This test's own Redis database: it empties the queue there.
REDIS_FOR_WORKER_TEST = "redis://127.0.0.1:6379/12"


def redis_answers(url: str) -> bool:
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return False


def assert_probed(server: LiveDaphne, provider: int, upstream) -> None:
    measured, queued_at = server.django(
        """
        from playground.providers.models import Provider, ProviderCapabilities
        row = ProviderCapabilities.objects.get(provider_id=params["provider"])
        provider = Provider.objects.get(pk=params["provider"])
        result = [row.results["max_logprobs"]["value"], provider.probe_queued_at]
        """,
        provider=provider,
    )
    assert measured == 5
    assert queued_at is None
    assert {request.body["model"] for request in upstream.completion_requests} == {"fake-model"}


def test_db_worker_runs_a_queued_probe_to_successful(stopped_server, upstream, tmp_path):
    upstream.respond_with(openai_like(OPENAI))
    # The embedded default: no REDIS_URL, whatever the test run has.
    server = stopped_server(REDIS_URL="")
    provider = server.create_provider(server.create_user("alice"), upstream.base_url)
    command = worker_command(server)
    assert "db_worker" in command

    task_id = queue_probe(server, provider)
    with running(command, server, tmp_path / "worker.log"):
        status = wait_for_task(server, task_id, tmp_path / "worker.log")

    assert status == "SUCCESSFUL"
    assert_probed(server, provider, upstream)


@pytest.mark.skipif(
    not redis_answers(REDIS_FOR_WORKER_TEST), reason=f"needs Redis at {REDIS_FOR_WORKER_TEST}"
)
def test_rqworker_runs_a_queued_probe_to_successful(stopped_server, upstream, tmp_path):
    upstream.respond_with(openai_like(OPENAI))
    server = stopped_server(REDIS_URL=REDIS_FOR_WORKER_TEST)
    # Left over from an earlier run, a task would name a provider of another database.
    server.django("import django_rq\ndjango_rq.get_queue('default').empty()")
    provider = server.create_provider(server.create_user("alice"), upstream.base_url)
    command = worker_command(server)
    assert "rqworker" in command

    task_id = queue_probe(server, provider)
    with running(command, server, tmp_path / "worker.log"):
        status = wait_for_task(server, task_id, tmp_path / "worker.log")

    assert status == "SUCCESSFUL"
    assert_probed(server, provider, upstream)
