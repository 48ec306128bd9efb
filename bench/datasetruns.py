"""Figure 12 (issue 14): a dataset run of many rows against the paced upstream.

1,000 rows (`dataset_rows`), each a streamed completion of DATASET_TOKENS tokens at 20 ms
pacing, with the provider's concurrency at 16, run by the real background workers:
db_worker on SQLite (the embedded defaults), then two rqworkers on PostgreSQL and Redis.
The run's page socket (/ws/dataset-runs/<id>/) is open throughout, as a page's would be.

- rows/s: rows done over the time from the run's start (its first claim) to its last
  result;
- rows lost (not done) and rows duplicated (requests beyond one per row, from the
  upstream's count: the results can hold each row once only);
- progress lag: for the k-th row to finish (by its stored finished_at), the time until the
  socket first said that k rows were done. The worker and this process read the same
  wall clock.
"""

import asyncio
import contextlib
import json
import re
import time
from types import SimpleNamespace

from websockets.asyncio.client import connect

from tests.support.live_worker import (
    dataset_run_state,
    running,
    start_dataset_run,
    worker_command,
)

from .stats import percentile

DATASET_TOKENS = 5
DATASET_CONCURRENCY = 16
DATASET_PACING_MS = 20
# The brief's Redis database for dataset runs.
DATASET_REDIS_URL = "redis://127.0.0.1:6379/10"
DONE = re.compile(r'data-done="(\d+)"')
RUN_TIMEOUT = 300

_TIMES = """
from playground.datasets.models import DatasetRun
run = DatasetRun.objects.get(pk=params["run"])
finished = sorted(
    t.timestamp() for t in run.results.filter(status="done").values_list("finished_at", flat=True)
)
result = {"started": run.started_at.timestamp() if run.started_at else None, "finished": finished}
"""


async def _follow(url: str, headers: dict, heard: list, stop: asyncio.Event) -> None:
    """Records (time, rows done) for each progress fragment the run's socket sends."""
    async with connect(url, additional_headers=headers, max_size=None) as ws:
        while not stop.is_set():
            try:
                message = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                continue
            if match := DONE.search(message):
                heard.append((time.time(), int(match[1])))


def _lags(finished: list[float], heard: list[tuple[float, int]]) -> list[float]:
    """Milliseconds from each row's finish to the first progress that counted it."""
    lags = []
    position = 0
    for k, finished_at in enumerate(finished, start=1):
        while position < len(heard) and heard[position][1] < k:
            position += 1
        if position == len(heard):
            break
        lags.append((heard[position][0] - finished_at) * 1000)
    return lags


async def one_dataset_run(bench, server, account, rows: int, workers: int, tmp) -> dict:
    live = server.live
    streams_before = bench.upstream.stats()["streams"]
    extra = {"bench_interval_ms": DATASET_PACING_MS}
    run = await asyncio.to_thread(
        start_dataset_run,
        live,
        SimpleNamespace(pk=account.user),
        account.provider,
        rows=rows,
        max_concurrency=DATASET_CONCURRENCY,
        max_tokens=DATASET_TOKENS,
        parameters={"stream": "on", "extra_body": json.dumps(extra)},
    )
    heard: list = []
    stop = asyncio.Event()
    url = server.ws_url(f"/ws/dataset-runs/{run}/")
    follower = asyncio.ensure_future(_follow(url, server.headers(account), heard, stop))
    command = await asyncio.to_thread(worker_command, live)
    state: dict = {}
    with contextlib.ExitStack() as stack:
        for n in range(workers):
            stack.enter_context(running(command, live, tmp / f"worker-{run}-{n}.log"))
        deadline = time.monotonic() + RUN_TIMEOUT
        while time.monotonic() < deadline:
            state = await asyncio.to_thread(dataset_run_state, live, run)
            if state["status"] == "finished":
                break
            await asyncio.sleep(0.2)
        # The last progress: the socket reads it within a quarter of a second.
        await asyncio.sleep(1.0)
    stop.set()
    await follower
    times = await asyncio.to_thread(live.django, _TIMES, run=run)
    finished = times["finished"]
    done = state.get("done", 0)
    elapsed = (finished[-1] - times["started"]) if finished and times["started"] else None
    sent = bench.upstream.stats()["streams"] - streams_before
    lags = _lags(finished, heard)
    return {
        "rows": rows,
        "status": state.get("status"),
        "done": done,
        "lost": rows - done,
        "sent_more_than_once": max(0, sent - rows),
        "rows_per_second": done / elapsed if elapsed else None,
        "seconds": elapsed,
        "progress_messages": len(heard),
        "lag_p50_ms": percentile(lags, 50) if lags else None,
        "lag_p99_ms": percentile(lags, 99) if lags else None,
        "lag_max_ms": max(lags) if lags else None,
        "rows_with_a_lag": len(lags),
    }


async def dataset_runs(bench, figure) -> None:
    rows = bench.sizes.dataset_rows
    setups = [
        ("sqlite", "sqlite + db_worker", 1, {}),
        (
            "postgres",
            "PostgreSQL + Redis, 2 rqworkers",
            2,
            {"REDIS_URL": DATASET_REDIS_URL, "PLAYGROUND_DATASET_TASKS_PER_RUN": "2"},
        ),
    ]
    for kind, label, workers, env in setups:
        rate = figure.metric(f"rows/s ({label})", "rows/s")
        lost = figure.metric(f"rows lost or duplicated ({label})", "rows", ("==", 0), "max")
        lag50 = figure.metric(f"progress lag p50 ({label})", "ms")
        lag99 = figure.metric(f"progress lag p99 ({label})", "ms")
        name = f"dsruns-{kind}"
        server, account = bench.server(name, kind, env=env)
        if "REDIS_URL" in env:
            await asyncio.to_thread(
                server.live.django, "import django_rq\ndjango_rq.get_queue('default').empty()"
            )
        try:
            for _ in range(bench.sizes.repetitions):
                detail = await one_dataset_run(
                    bench, server, account, rows, workers, server.live.data_dir
                )
                detail["setup"] = label
                figure.details.append(detail)
                rate.values.append(detail["rows_per_second"] or 0.0)
                lost.values.append(detail["lost"] + detail["sent_more_than_once"])
                if detail["lag_p50_ms"] is not None:
                    lag50.values.append(detail["lag_p50_ms"])
                    lag99.values.append(detail["lag_p99_ms"])
                if detail["status"] != "finished":
                    figure.notes.append(f"{label}: the run ended {detail['status']}")
        finally:
            bench.stop(name)
