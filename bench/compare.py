"""Figure 11 (issue 14): what a comparison adds to each column's time to first token.

Aim: a compare of 4 columns of 200 tokens at 20 ms pacing adds no more to each column's
time to first token than one run does, within 2 ms at the median. In each repetition, in
turn: one direct stream and one run through the playground; then 4 direct streams at once
(all timed from when they were asked for, as a comparison's columns are all timed from its
one message) and a 4-column comparison. "Added" is the playground's p50 minus the direct
p50 of the same shape, in the same repetition; the figure is the column's added time minus
the single run's. Once every stream has its first token it is stopped (the playground's)
or closed (the direct ones): time to first token does not depend on the rest.
"""

import asyncio
import json

import httpx
from httpx_sse import aconnect_sse

from .clients import MODEL, STAMP, PlaygroundSocket, close_sockets, direct_client, open_sockets
from .stats import percentile
from .upstream import now_us

COLUMNS = 4
TOKENS = 200
PACING_MS = 20


def _body(tokens: int) -> dict:
    return {"model": MODEL, "prompt": "Count", "stream": True, "max_tokens": tokens}


async def _direct_first_token(
    client: httpx.AsyncClient,
    base_url: str,
    extra: dict,
    legs: list | None = None,
    submitted: int | None = None,
) -> float:
    """Milliseconds from sending to the first token, read straight from the upstream (and,
    added to legs, from sending to the upstream's writing it, and from then to reading it).

    submitted: when streams sent at once were asked for (now, by default). Each stream of
    a gather starts only once the ones before it have built and begun their requests; a
    comparison's columns are all timed from the one message, so these are too.
    """
    submitted = now_us() if submitted is None else submitted
    async with aconnect_sse(
        client, "POST", f"{base_url}/completions", json={**_body(TOKENS), **extra}
    ) as source:
        async for event in source.aiter_sse():
            choices = json.loads(event.data).get("choices") or [] if event.data != "[DONE]" else []
            text = next((choice["text"] for choice in choices if choice.get("text")), "")
            if text:
                received = now_us()
                _add_legs(legs, submitted, text, received)
                return (received - submitted) / 1000
    raise RuntimeError("A direct stream ended without a token.")


def _add_legs(legs: list | None, submitted: int, text: str, received: int) -> None:
    """The two legs of a first token: submit to the upstream's write (the stamp in its
    text), and that write to the client's reading it; milliseconds."""
    stamp = STAMP.search(text)
    if legs is not None and stamp:
        written = int(stamp.group(2))
        legs.append(((written - submitted) / 1000, (received - written) / 1000))


async def _first_tokens(
    socket: PlaygroundSocket,
    message: dict,
    runs: int,
    started: list[float] | None = None,
    legs: list | None = None,
) -> list[float]:
    """Sends a run or compare message; milliseconds from sending to each run's first token
    (and to its run.started or compare.started frame, added to `started`). Then stops them
    and reads on to their end."""
    submitted = now_us()
    await socket.ws.send(json.dumps(message))
    firsts: dict[int, float] = {}
    while len(firsts) < runs:
        frame, received = await socket.receive()
        if frame["type"] in ("run.started", "compare.started") and started is not None:
            started.append((received - submitted) / 1000)
        elif frame["type"] == "delta" and frame["run"] not in firsts:
            if frame["choices"].get("0"):
                firsts[frame["run"]] = (received - submitted) / 1000
                _add_legs(legs, submitted, frame["choices"]["0"], received)
        elif frame["type"] in ("error", "form.invalid", "compare.invalid"):
            raise RuntimeError(f"The playground refused the message: {frame}")
    await socket.ws.send(json.dumps({"action": "stop"}))
    end = "compare.finished" if message["action"] == "compare" else "run.finished"
    await socket.receive_until(end)
    return list(firsts.values())


async def compare_first_tokens(bench, figure) -> None:
    server, account = bench.server("main")
    aim = figure.metric(
        "a column's added time to first token minus a single run's, p50", "ms", ("<=", 2)
    )
    single_metric = figure.metric("a single run's added time to first token, p50", "ms")
    column_metric = figure.metric("a compare column's added time to first token, p50", "ms")
    [socket] = await open_sockets(server.ws_url("/ws/playground/"), server.headers(account), 1)
    extra = {"bench_interval_ms": PACING_MS}
    run = {
        "action": "run",
        "provider": account.provider,
        "model": MODEL,
        "prompt": "Count",
        "stream": True,
        "max_tokens": TOKENS,
        "extra_body": extra,
    }
    base_url = bench.upstream.base_url
    try:
        # A session to compare in: the first run's.
        await socket.ws.send(json.dumps({**run, "max_tokens": 1}))
        session = (await socket.receive_until("run.started"))[-1]["session"]
        await socket.receive_until("run.finished")
        run["session"] = session
        compare = {
            **run,
            "action": "compare",
            "columns": [{"model": MODEL, "seed": str(i)} for i in range(COLUMNS)],
        }
        async with direct_client() as client:
            for _ in range(3):  # warm-up: connections, caches, code paths
                await _direct_first_token(client, base_url, extra)
                await _first_tokens(socket, run, 1)
                await _first_tokens(socket, compare, COLUMNS)
            for _ in range(bench.sizes.repetitions):
                direct_single, single, direct_columns, columns = [], [], [], []
                single_started: list[float] = []
                compare_started: list[float] = []
                # (to the upstream's write, from it to the reader) of each first token.
                legs: dict[str, list] = {"ds": [], "s": [], "dc": [], "c": []}
                for _ in range(bench.sizes.compare_runs):
                    direct_single.append(
                        await _direct_first_token(client, base_url, extra, legs["ds"])
                    )
                    single += await _first_tokens(socket, run, 1, single_started, legs["s"])
                    at_once = now_us()
                    direct_columns += await asyncio.gather(
                        *(
                            _direct_first_token(client, base_url, extra, legs["dc"], at_once)
                            for _ in range(COLUMNS)
                        )
                    )
                    columns += await _first_tokens(
                        socket, compare, COLUMNS, compare_started, legs["c"]
                    )
                single_added = percentile(single, 50) - percentile(direct_single, 50)
                column_added = percentile(columns, 50) - percentile(direct_columns, 50)
                single_metric.values.append(single_added)
                column_metric.values.append(column_added)
                aim.values.append(column_added - single_added)
                figure.details.append(
                    {
                        "rounds": bench.sizes.compare_runs,
                        "direct_single_p50_ms": percentile(direct_single, 50),
                        "single_run_p50_ms": percentile(single, 50),
                        "direct_4_at_once_p50_ms": percentile(direct_columns, 50),
                        "compare_column_p50_ms": percentile(columns, 50),
                        "compare_column_p99_ms": percentile(columns, 99),
                        "submit_to_run_started_p50_ms": percentile(single_started, 50),
                        "submit_to_compare_started_p50_ms": percentile(compare_started, 50),
                        **{
                            f"{name}_{leg}_p50_ms": percentile([pair[i] for pair in legs[key]], 50)
                            for key, name in (
                                ("ds", "direct_single"),
                                ("s", "single_run"),
                                ("dc", "direct_4_at_once"),
                                ("c", "compare_column"),
                            )
                            for i, leg in enumerate(("to_upstream", "from_upstream"))
                        },
                    }
                )
    finally:
        await close_sockets([socket])
