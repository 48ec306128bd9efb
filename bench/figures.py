"""The figures of issues 7, 11, 13 and 14. Each runs its repetitions and returns a Figure.

"Added" numbers compare the playground with a direct httpx-sse client reading the same
upstream in the same repetition: what the playground adds, at the same percentile.
"""

import asyncio
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from playground.execution.coalescer import FRAME_INTERVAL

from .browser import long_document
from .clients import (
    StreamRecord,
    close_sockets,
    direct_client,
    direct_stream,
    open_sockets,
    upstream_fields,
)
from .compare import compare_first_tokens
from .datasetruns import dataset_runs
from .localmodel import local_model_speed
from .servers import Account, Server, Servers, Upstream
from .stats import Metric, max_in_window, percentile

REDIS_URL = "redis://127.0.0.1:6379/13"
SAVE_INTERVAL = "0.2"
PACING_MS = 20
FAST_PACING_MS = 1
# The fastest a coalesced stream may go: one frame per FRAME_INTERVAL, counted in 1 s.
MAX_FRAMES_PER_SECOND = int(1 / FRAME_INTERVAL) + 1
LOCKED = re.compile(r"database is locked", re.IGNORECASE)


@dataclass(frozen=True)
class Sizes:
    repetitions: int
    ttft_runs: int
    per_token_tokens: int
    fast_tokens: int
    levels: tuple[int, ...]
    level_tokens: int
    viewers: int
    live_tokens: int
    idle_sockets: int
    save_streams: int
    save_tokens: int
    output_lengths: tuple[int, ...]
    local_tokens: int
    browser_tokens: int = 20_000
    browser_repetitions: int = 1
    compare_runs: int = 40
    dataset_rows: int = 1_000


FULL = Sizes(
    repetitions=3,
    ttft_runs=200,
    per_token_tokens=150,
    fast_tokens=2000,
    levels=(1, 8, 32, 64, 128, 256),
    level_tokens=100,
    viewers=100,
    live_tokens=100,
    idle_sockets=1000,
    save_streams=20,
    save_tokens=100,
    output_lengths=(5_000, 20_000, 40_000, 80_000),
    local_tokens=64,
)
SMOKE = Sizes(
    repetitions=1,
    ttft_runs=5,
    per_token_tokens=15,
    fast_tokens=200,
    levels=(1, 4),
    level_tokens=15,
    viewers=3,
    live_tokens=15,
    idle_sockets=20,
    save_streams=3,
    save_tokens=15,
    output_lengths=(200, 800),
    local_tokens=16,
    browser_tokens=500,
    compare_runs=3,
    dataset_rows=20,
)


@dataclass
class Figure:
    key: str
    title: str
    metrics: list[Metric] = field(default_factory=list)
    # Per repetition: the raw numbers behind the metrics.
    details: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    lost: int = 0
    reordered: int = 0
    seconds: float = 0.0
    error: str = ""

    def metric(self, name: str, unit: str, aim=None, judged_on: str = "median") -> Metric:
        metric = Metric(name, unit, aim, judged_on=judged_on)
        self.metrics.append(metric)
        return metric

    def check(self, records: list[StreamRecord]) -> tuple[int, int]:
        """Counts lost and reordered tokens; a run that did not complete loses its tokens."""
        lost = sum(r.lost for r in records)
        reordered = sum(r.reordered for r in records)
        failed = [r for r in records if r.status != "completed"]
        if failed:
            self.notes.append(
                f"{len(failed)} stream(s) ended {failed[0].status}: {failed[0].error}"
            )
        self.lost += lost
        self.reordered += reordered
        return lost, reordered

    def as_json(self) -> dict:
        return {
            "title": self.title,
            "metrics": {m.name: m.as_json() for m in self.metrics},
            "tokens_lost": self.lost,
            "tokens_reordered": self.reordered,
            "repetitions": self.details,
            "notes": self.notes,
            "seconds": round(self.seconds, 1),
            "error": self.error,
        }


def ms(microseconds: float) -> float:
    return microseconds / 1000


def _group() -> str:
    return secrets.token_hex(6)


class Bench:
    """What the figures share: the sizes, the upstream, and servers started when needed."""

    def __init__(self, sizes: Sizes, upstream: Upstream, servers: Servers):
        self.sizes = sizes
        self.upstream = upstream
        self.servers = servers
        self._servers: dict[str, tuple[Server, Account]] = {}

    def server(self, name: str, kind: str = "sqlite", env: dict | None = None):
        """A started server and an account on it (with a provider on the upstream)."""
        if name not in self._servers:
            server = self.servers.start(name, kind, env)
            account = server.account(f"bench-{name}", self.upstream.base_url)
            self._servers[name] = (server, account)
        return self._servers[name]

    def stop(self, name: str) -> None:
        entry = self._servers.pop(name, None)
        if entry:
            entry[0].close()

    async def direct(self, client, count: int, tokens: int, interval_ms: float):
        group = _group() if count > 1 else ""
        extra = upstream_fields(interval_ms, group, count)
        streams = (
            direct_stream(client, self.upstream.base_url, tokens, extra) for _ in range(count)
        )
        return list(await asyncio.gather(*streams))

    def cpu(self, server: Server) -> dict:
        """CPU seconds used so far by daphne, the upstream and this client process."""
        return {
            "daphne": server.cpu_seconds(),
            "upstream": self.upstream.cpu_seconds(),
            "client": time.process_time(),
        }

    @staticmethod
    async def through(sockets, account: Account, tokens: int, interval_ms: float, **run):
        count = len(sockets)
        extra = upstream_fields(interval_ms, _group() if count > 1 else "", count)
        runs = (socket.run(account.provider, tokens, extra, **run) for socket in sockets)
        return list(await asyncio.gather(*runs))


def _per_token(before: dict, after: dict, tokens: int) -> dict:
    """CPU microseconds per token of each process between two Bench.cpu() readings."""
    return {name: round((after[name] - before[name]) * 1e6 / tokens, 1) for name in before}


def _delays(records: list[StreamRecord]) -> list[float]:
    return [delay for record in records for delay in record.delays_ms]


# --- 1. Added time to first token ---------------------------------------------------------


async def time_to_first_token(bench: Bench, figure: Figure) -> None:
    server, account = bench.server("main")
    p50 = figure.metric("added time to first token p50", "ms", ("<=", 5))
    p99 = figure.metric("added time to first token p99", "ms", ("<=", 20))
    [socket] = await open_sockets(server.ws_url("/ws/playground/"), server.headers(account), 1)
    tokens, extra = 2, upstream_fields(FAST_PACING_MS)
    try:
        async with direct_client() as client:
            for _ in range(5):  # warm-up: connections, caches, code paths
                await direct_stream(client, bench.upstream.base_url, tokens, extra)
                await socket.run(account.provider, tokens, extra)
            for _ in range(bench.sizes.repetitions):
                direct, playground, started = [], [], []
                connections = bench.upstream.stats()["connections"]
                for _ in range(bench.sizes.ttft_runs):
                    d = await direct_stream(client, bench.upstream.base_url, tokens, extra)
                    p = await socket.run(account.provider, tokens, extra)
                    figure.check([d, p])
                    if d.seqs and p.seqs:
                        direct.append(ms(d.first_token_us - d.submitted_us))
                        playground.append(ms(p.first_token_us - p.submitted_us))
                        started.append(ms(p.started_us - p.submitted_us))
                p50.values.append(percentile(playground, 50) - percentile(direct, 50))
                p99.values.append(percentile(playground, 99) - percentile(direct, 99))
                figure.details.append(
                    {
                        "runs": len(playground),
                        "direct_p50_ms": percentile(direct, 50),
                        "direct_p99_ms": percentile(direct, 99),
                        "playground_p50_ms": percentile(playground, 50),
                        "playground_p99_ms": percentile(playground, 99),
                        "submit_to_run_started_p50_ms": percentile(started, 50),
                        # Kept-alive connections make this 0: each run reuses one.
                        "upstream_connections_per_run": (
                            bench.upstream.stats()["connections"] - connections
                        )
                        / (2 * len(playground) or 1),
                    }
                )
    finally:
        await close_sockets([socket])


# --- 2. Added per-token delay -------------------------------------------------------------


async def per_token_delay(bench: Bench, figure: Figure) -> None:
    server, account = bench.server("main")
    p50 = figure.metric("added per-token delay p50", "ms", ("<=", 2))
    p99 = figure.metric("added per-token delay p99", "ms", ("<=", 10))
    tokens = bench.sizes.per_token_tokens
    sockets = await open_sockets(server.ws_url("/ws/playground/"), server.headers(account), 1)
    try:
        async with direct_client() as client:
            for _ in range(bench.sizes.repetitions):
                direct = await bench.direct(client, 1, tokens, PACING_MS)
                playground = await bench.through(sockets, account, tokens, PACING_MS)
                figure.check(direct + playground)
                d, p = _delays(direct), _delays(playground)
                p50.values.append(percentile(p, 50) - percentile(d, 50))
                p99.values.append(percentile(p, 99) - percentile(d, 99))
                figure.details.append(_delay_detail(d, p, tokens))
    finally:
        await close_sockets(sockets)


def _delay_detail(direct: list[float], playground: list[float], tokens: int) -> dict:
    return {
        "tokens_per_stream": tokens,
        "direct_p50_ms": percentile(direct, 50),
        "direct_p99_ms": percentile(direct, 99),
        "playground_p50_ms": percentile(playground, 50),
        "playground_p99_ms": percentile(playground, 99),
        "playground_max_ms": max(playground, default=None),
    }


# --- 3. A fast model ----------------------------------------------------------------------


async def fast_model(bench: Bench, figure: Figure) -> None:
    server, account = bench.server("main")
    tokens = bench.sizes.fast_tokens
    lost = figure.metric("tokens lost or reordered", "tokens", ("==", 0), judged_on="max")
    fps = figure.metric(
        "frames in any 1 s", "frames", ("<=", MAX_FRAMES_PER_SECOND), judged_on="max"
    )
    done = figure.metric("added time to last token", "ms", ("<=", 50))
    sockets = await open_sockets(server.ws_url("/ws/playground/"), server.headers(account), 1)
    try:
        async with direct_client() as client:
            for _ in range(bench.sizes.repetitions):
                [d] = await bench.direct(client, 1, tokens, FAST_PACING_MS)
                [p] = await bench.through(sockets, account, tokens, FAST_PACING_MS)
                figure.check([d, p])
                lost.values.append(p.lost + p.reordered + d.lost + d.reordered)
                frame_times = [received for received, _ in p.frames]
                fps.values.append(max_in_window(frame_times, 1_000_000))
                # When each reader had the last token, after the upstream sent it.
                d_lag = ms(d.received_us[-1] - d.sent_us[-1]) if d.seqs else float("nan")
                p_lag = ms(p.received_us[-1] - p.sent_us[-1]) if p.seqs else float("nan")
                done.values.append(p_lag - d_lag)
                span = ms(frame_times[-1] - frame_times[0]) / 1000 if frame_times else 0
                figure.details.append(
                    {
                        "tokens": tokens,
                        "frames": len(p.frames),
                        "mean_frames_per_second": len(p.frames) / span if span else None,
                        "direct_stream_seconds": ms(d.received_us[-1] - d.submitted_us) / 1000,
                        "playground_stream_seconds": ms(p.received_us[-1] - p.submitted_us) / 1000,
                        "direct_last_token_lag_ms": d_lag,
                        "playground_last_token_lag_ms": p_lag,
                        **_delay_detail(d.delays_ms, p.delays_ms, tokens),
                    }
                )
    finally:
        await close_sockets(sockets)


# --- 4. Concurrent streams ----------------------------------------------------------------


async def concurrent_streams(bench: Bench, figure: Figure) -> None:
    server, account = bench.server("main")
    levels, tokens = bench.sizes.levels, bench.sizes.level_tokens
    lost = figure.metric("tokens lost or reordered", "tokens", ("==", 0), judged_on="max")
    per_level = {
        n: figure.metric(
            f"added per-token p99 at {n} streams", "ms", ("<=", 50) if n >= 256 else None
        )
        for n in levels
    }
    sockets = await open_sockets(
        server.ws_url("/ws/playground/"), server.headers(account), max(levels)
    )
    try:
        async with direct_client() as client:
            for _ in range(bench.sizes.repetitions):
                detail, lost_here = {}, 0
                for n in levels:
                    before = bench.cpu(server)
                    direct = await bench.direct(client, n, tokens, PACING_MS)
                    between = bench.cpu(server)
                    playground = await bench.through(sockets[:n], account, tokens, PACING_MS)
                    after = bench.cpu(server)
                    lost_here += sum(figure.check(direct + playground))
                    d, p = _delays(direct), _delays(playground)
                    per_level[n].values.append(percentile(p, 99) - percentile(d, 99))
                    detail[str(n)] = {
                        **_delay_detail(d, p, tokens),
                        "frames_per_token": sum(len(r.frames) for r in playground) / (n * tokens),
                        "cpu_us_per_token_direct": _per_token(before, between, n * tokens),
                        "cpu_us_per_token_playground": _per_token(between, after, n * tokens),
                    }
                lost.values.append(lost_here)
                figure.details.append(detail)
    finally:
        await close_sockets(sockets)


# --- 5. Live demo fan-out -----------------------------------------------------------------


async def live_fan_out(bench: Bench, figure: Figure) -> None:
    server, presenter_account = bench.server("live", env={"REDIS_URL": REDIS_URL})
    viewer_account = server.account("bench-viewer", bench.upstream.base_url)
    session, token = server.shared_session(presenter_account)
    count, tokens = bench.sizes.viewers, bench.sizes.live_tokens
    missing = figure.metric("viewer tokens lost or reordered", "tokens", ("==", 0), "max")
    lag50 = figure.metric("viewer lag behind presenter p50", "ms")
    lag99 = figure.metric("viewer lag behind presenter p99", "ms", ("<=", 100))
    added99 = figure.metric("added upstream-to-viewer p99", "ms")
    [presenter] = await open_sockets(
        server.ws_url("/ws/playground/"), server.headers(presenter_account), 1
    )
    viewers = await open_sockets(
        server.ws_url(f"/ws/watch/{token}/"), server.headers(viewer_account), count
    )
    try:
        for viewer in viewers:
            await viewer.receive_until("live.state")
        await presenter.ws.send(f'{{"action": "live.start", "session": {session}}}')
        started = await presenter.receive_until("live.started")
        if started[-1]["type"] != "live.started":
            raise RuntimeError(f"live.start failed: {started[-1]}")
        async with direct_client() as client:
            for _ in range(bench.sizes.repetitions):
                [d] = await bench.direct(client, 1, tokens, PACING_MS)
                watching = [
                    asyncio.create_task(v.follow(StreamRecord(expected=tokens))) for v in viewers
                ]
                [p] = await bench.through(
                    [presenter], presenter_account, tokens, PACING_MS, session=session
                )
                seen = list(await asyncio.gather(*watching))
                figure.check([d, p, *seen])
                missing.values.append(sum(v.lost + v.reordered for v in seen))
                at_presenter = p.received_by_seq()
                lags = [
                    ms(received - at_presenter[seq])
                    for v in seen
                    for seq, received in zip(v.seqs, v.received_us, strict=True)
                    if seq in at_presenter
                ]
                lag50.values.append(percentile(lags, 50))
                lag99.values.append(percentile(lags, 99))
                viewer_delays = _delays(seen)
                added99.values.append(percentile(viewer_delays, 99) - percentile(d.delays_ms, 99))
                figure.details.append(
                    {
                        "viewers": len(seen),
                        "viewers_with_every_token": sum(
                            v.lost == 0 and v.reordered == 0 for v in seen
                        ),
                        "viewer_lag_max_ms": max(lags, default=None),
                        **_delay_detail(d.delays_ms, p.delays_ms, tokens),
                        "viewer_p99_ms": percentile(viewer_delays, 99),
                    }
                )
    finally:
        await close_sockets([presenter, *viewers])
        bench.stop("live")


# --- 6. Idle sockets ----------------------------------------------------------------------


async def idle_sockets(bench: Bench, figure: Figure) -> None:
    server, account = bench.server("idle")
    count = bench.sizes.idle_sockets
    per_socket = figure.metric("server memory per idle socket", "KiB", ("<=", 100))
    url, headers = server.ws_url("/ws/playground/"), server.headers(account)
    try:
        for repetition in range(bench.sizes.repetitions):
            if repetition:
                server.restart()  # a fresh process: freed memory would hide the growth
            # Warm up: code paths, the database connection, the session cache.
            await close_sockets(await open_sockets(url, headers, 10))
            await asyncio.sleep(0.5)
            before = server.rss_kib()
            sockets = await open_sockets(url, headers, count)
            try:
                await asyncio.sleep(1.0)
                after = server.rss_kib()
                still_open = sum(s.ws.state.name == "OPEN" for s in sockets)
            finally:
                await close_sockets(sockets)
            per_socket.values.append((after - before) / count)
            figure.details.append(
                {
                    "sockets": count,
                    "open": still_open,
                    "rss_before_kib": before,
                    "rss_after_kib": after,
                }
            )
            if still_open != count:
                figure.notes.append(f"only {still_open} of {count} sockets stayed open")
    finally:
        bench.stop("idle")


# --- 7. Saving under load -----------------------------------------------------------------


async def saving_under_load(bench: Bench, figure: Figure) -> None:
    streams, tokens = bench.sizes.save_streams, bench.sizes.save_tokens
    for kind in ("sqlite", "postgres"):
        name = f"save-{kind}"
        locked = figure.metric(f"'database is locked' errors ({kind})", "errors", ("==", 0), "max")
        incomplete = figure.metric(f"runs not saved complete ({kind})", "runs", ("==", 0), "max")
        p99 = figure.metric(f"per-token p99 while saving ({kind})", "ms")
        server, account = bench.server(name, kind, env={"PLAYGROUND_SAVE_INTERVAL": SAVE_INTERVAL})
        sockets = await open_sockets(
            server.ws_url("/ws/playground/"), server.headers(account), streams
        )
        try:
            for _ in range(bench.sizes.repetitions):
                errors_before = len(LOCKED.findall(server.log()))
                records = await bench.through(sockets, account, tokens, PACING_MS)
                figure.check(records)
                # The final state is saved before run.finished is sent: read it back now.
                rows = {row["pk"]: row for row in server.run_rows([r.run for r in records])}
                bad = [
                    r.run
                    for r in records
                    if r.run not in rows
                    or rows[r.run]["status"] != "completed"
                    or (rows[r.run]["choices"] or [{}])[0].get("text") != r.text
                    or r.lost
                ]
                errors = len(LOCKED.findall(server.log())) - errors_before
                locked.values.append(errors)
                incomplete.values.append(len(bad))
                p99.values.append(percentile(_delays(records), 99))
                figure.details.append(
                    {
                        "database": kind,
                        "streams": streams,
                        "tokens_per_stream": tokens,
                        "locked_errors": errors,
                        "runs_not_complete": bad,
                        "save_warnings": server.log().count("Could not save run"),
                    }
                )
        finally:
            await close_sockets(sockets)
            bench.stop(name)


# --- 8. Output length ---------------------------------------------------------------------

# 80,000 stamped tokens are 1.3 to 1.6 M characters (a stamp's length grows with the
# machine's uptime), over the default output cap: this figure's server raises the cap, so
# that each run ends on its own rather than at the cap.
LONG_OUTPUT_CHARS = "4000000"
# A run's time may grow with its length no faster than the direct reader's.
MAX_LENGTH_RATIO = 2.0


def _seconds(record: StreamRecord) -> float:
    """Submit to the end of the stream: [DONE] for the direct reader, run.finished (the run
    saved and its card rendered) through the playground."""
    return ms((record.finished_us or record.submitted_us) - record.submitted_us) / 1000


async def output_length(bench: Bench, figure: Figure) -> None:
    server, account = bench.server("long", env={"PLAYGROUND_MAX_OUTPUT_CHARS": LONG_OUTPUT_CHARS})
    lengths = bench.sizes.output_lengths
    lost = figure.metric("tokens lost or reordered", "tokens", ("==", 0), judged_on="max")
    ratios = {
        n: figure.metric(f"playground / direct time, {n:,} tokens", "x", ("<=", MAX_LENGTH_RATIO))
        for n in lengths
    }
    sockets = await open_sockets(server.ws_url("/ws/playground/"), server.headers(account), 1)
    try:
        async with direct_client() as client:
            # Warm-up: connections, caches, code paths. Interval 0: no pacing, the upstream
            # writes as fast as it is read.
            await bench.direct(client, 1, lengths[0], 0)
            await bench.through(sockets, account, lengths[0], 0)
            for _ in range(bench.sizes.repetitions):
                detail, lost_here = {}, 0
                for n in lengths:
                    before = bench.cpu(server)
                    [d] = await bench.direct(client, 1, n, 0)
                    between = bench.cpu(server)
                    [p] = await bench.through(sockets, account, n, 0)
                    after = bench.cpu(server)
                    lost_here += sum(figure.check([d, p]))
                    ratios[n].values.append(_seconds(p) / _seconds(d))
                    detail[str(n)] = {
                        "characters": len(p.text),
                        "direct_s": _seconds(d),
                        "playground_s": _seconds(p),
                        "playground_last_token_s": ms(p.received_us[-1] - p.submitted_us) / 1000
                        if p.received_us
                        else None,
                        "frames": len(p.frames),
                        # Per token, unlike the times, whatever else the machine is doing:
                        # work per token that grows with the text shows here first.
                        "cpu_us_per_token_direct": _per_token(before, between, n),
                        "cpu_us_per_token_playground": _per_token(between, after, n),
                    }
                lost.values.append(lost_here)
                figure.details.append(detail)
    finally:
        await close_sockets(sockets)
        bench.stop("long")


FIGURES: dict[str, tuple[str, Callable[[Bench, Figure], Awaitable[None]]]] = {
    "1": ("Added time to first token", time_to_first_token),
    "2": ("Added per-token delay (20 ms pacing)", per_token_delay),
    "3": ("Fast model (1 ms pacing)", fast_model),
    "4": ("Concurrent streams (20 ms pacing, one daphne)", concurrent_streams),
    "5": ("Live demo fan-out through Redis", live_fan_out),
    "6": ("Idle sockets", idle_sockets),
    "7": ("Saving under load", saving_under_load),
    "8": ("Output length (no pacing)", output_length),
    "9": ("Local model with and without logprobs (straight to it)", local_model_speed),
    "10": ("A long document in the browser (100 tokens/s)", long_document),
    "11": ("A 4-column comparison's time to first token (20 ms pacing)", compare_first_tokens),
    "12": ("A dataset run: 1,000 rows, 20 ms pacing, concurrency 16", dataset_runs),
}

FIGURE_TIMEOUT = 600
# Figure 10 streams 4 runs of 20,000 tokens at 100 tokens/s: 200 s each.
FIGURE_TIMEOUTS = {"10": 1800}


async def run_figure(bench: Bench, key: str) -> Figure:
    title, measure = FIGURES[key]
    figure = Figure(key, title)
    started = time.monotonic()
    try:
        await asyncio.wait_for(measure(bench, figure), FIGURE_TIMEOUTS.get(key, FIGURE_TIMEOUT))
    except Exception as exc:  # one failed figure must not lose the others
        figure.error = f"{type(exc).__name__}: {exc}"
    figure.seconds = time.monotonic() - started
    return figure
