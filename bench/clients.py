"""The two clients: a page's websocket (through the playground) and a direct httpx-sse reader.

Both record, for every token, its sequence number, when the upstream sent it and when it
reached the client, on the shared clock of upstream.now_us().
"""

import asyncio
import itertools
import json
import re
from dataclasses import dataclass, field

import httpx
from httpx_sse import aconnect_sse
from websockets.asyncio.client import ClientConnection, connect

from .upstream import now_us

STAMP = re.compile(r" (\d+):(\d+)")
MODEL = "bench"
# Every wait on a socket is bounded: a broken server fails the figure rather than hanging.
RECEIVE_TIMEOUT = 60.0
CONNECT_TIMEOUT = 30.0
# At most this many websocket handshakes at once (the server's listen backlog is small).
CONNECT_CONCURRENCY = 32


@dataclass
class StreamRecord:
    """One stream as a client saw it; all times are upstream.now_us() microseconds."""

    expected: int
    submitted_us: int = 0
    started_us: int | None = None
    finished_us: int | None = None
    run: int | None = None
    status: str = ""
    error: str = ""
    seqs: list[int] = field(default_factory=list)
    sent_us: list[int] = field(default_factory=list)
    received_us: list[int] = field(default_factory=list)
    # (received_us, tokens in the frame) per frame that carried text.
    frames: list[tuple[int, int]] = field(default_factory=list)
    text_parts: list[str] = field(default_factory=list)

    def add_text(self, text: str, received: int) -> None:
        self.text_parts.append(text)
        count = 0
        for seq, sent in STAMP.findall(text):
            self.seqs.append(int(seq))
            self.sent_us.append(int(sent))
            self.received_us.append(received)
            count += 1
        self.frames.append((received, count))

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    @property
    def first_token_us(self) -> int | None:
        return self.received_us[0] if self.received_us else None

    @property
    def delays_ms(self) -> list[float]:
        return [(r - s) / 1000 for s, r in zip(self.sent_us, self.received_us, strict=True)]

    @property
    def lost(self) -> int:
        return self.expected - len(set(self.seqs) & set(range(self.expected)))

    @property
    def reordered(self) -> int:
        """Tokens that came after a later one (or twice)."""
        return sum(b <= a for a, b in itertools.pairwise(self.seqs))

    def received_by_seq(self) -> dict[int, int]:
        return dict(zip(self.seqs, self.received_us, strict=True))


def upstream_fields(interval_ms: float, group: str = "", group_size: int = 0) -> dict:
    """The paced upstream's own request fields (the playground sends them as extra_body)."""
    extra: dict = {"bench_interval_ms": interval_ms}
    if group:
        extra.update(bench_group=group, bench_group_size=group_size)
    return extra


# --- Through the playground ---------------------------------------------------------------


class PlaygroundSocket:
    """One page's socket on /ws/playground/ (or a viewer's on /ws/watch/...)."""

    def __init__(self, connection: ClientConnection):
        self.ws = connection

    @classmethod
    async def open(cls, url: str, headers: dict) -> "PlaygroundSocket":
        connection = await connect(
            url,
            additional_headers=headers,
            open_timeout=CONNECT_TIMEOUT,
            max_size=16 * 2**20,
            # Idle sockets stay quiet: no keepalive pings during the benchmark.
            ping_interval=None,
        )
        return cls(connection)

    async def close(self) -> None:
        await self.ws.close()

    async def receive(self) -> tuple[dict, int]:
        raw = await asyncio.wait_for(self.ws.recv(), RECEIVE_TIMEOUT)
        return json.loads(raw), now_us()

    async def receive_until(self, frame_type: str) -> list[dict]:
        frames = []
        while True:
            frame, _ = await self.receive()
            frames.append(frame)
            if frame["type"] in (frame_type, "error", "form.invalid"):
                return frames

    async def run(
        self, provider: int, tokens: int, extra: dict, session: int | None = None
    ) -> StreamRecord:
        message = {
            "action": "run",
            "provider": provider,
            "model": MODEL,
            "prompt": "Count",
            "stream": True,
            "max_tokens": tokens,
            "extra_body": extra,
        }
        if session is not None:
            message["session"] = session
        record = StreamRecord(expected=tokens)
        payload = json.dumps(message)
        record.submitted_us = now_us()
        await self.ws.send(payload)
        await self.follow(record)
        return record

    async def follow(self, record: StreamRecord, run: int | None = None) -> StreamRecord:
        """Reads one run's frames into record, until its run.finished (run: watch that one)."""
        while True:
            frame, received = await self.receive()
            kind = frame.get("type")
            if kind == "run.started" and (run is None or frame["run"] == run):
                record.started_us, record.run = received, frame["run"]
            elif kind == "delta" and frame["run"] == record.run:
                record.add_text(frame["choices"].get("0", ""), received)
            elif kind == "run.finished" and frame["run"] == record.run:
                record.finished_us, record.status = received, frame["status"]
                record.error = frame.get("error") or ""
                return record
            elif kind in ("error", "form.invalid"):
                record.status, record.error = "refused", json.dumps(frame)
                return record


async def open_sockets(url: str, headers: dict, count: int) -> list[PlaygroundSocket]:
    limit = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one():
        async with limit:
            return await PlaygroundSocket.open(url, headers)

    results = await asyncio.gather(*(one() for _ in range(count)), return_exceptions=True)
    sockets = [s for s in results if isinstance(s, PlaygroundSocket)]
    errors = [e for e in results if not isinstance(e, PlaygroundSocket)]
    if errors:
        await close_sockets(sockets)
        raise RuntimeError(f"{len(errors)} of {count} sockets did not open: {errors[0]!r}")
    return sockets


async def close_sockets(sockets: list[PlaygroundSocket]) -> None:
    limit = asyncio.Semaphore(CONNECT_CONCURRENCY * 4)

    async def one(socket):
        async with limit:
            await socket.close()

    await asyncio.gather(*(one(s) for s in sockets), return_exceptions=True)


# --- Directly, as the baseline ------------------------------------------------------------


def direct_client() -> httpx.AsyncClient:
    """Pooled like the playground's own client (providers.client.shared_client)."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(RECEIVE_TIMEOUT),
        limits=httpx.Limits(max_connections=1000, max_keepalive_connections=300),
        trust_env=False,
    )


async def direct_stream(
    client: httpx.AsyncClient, base_url: str, tokens: int, extra: dict
) -> StreamRecord:
    body = {"model": MODEL, "prompt": "Count", "stream": True, "max_tokens": tokens, **extra}
    record = StreamRecord(expected=tokens)
    record.submitted_us = now_us()
    async with aconnect_sse(client, "POST", f"{base_url}/completions", json=body) as source:
        record.started_us = now_us()
        async for event in source.aiter_sse():
            received = now_us()
            if event.data == "[DONE]":
                # Read on to the end of the body, so the connection goes back to the pool.
                record.finished_us = received
                continue
            choices = json.loads(event.data).get("choices") or []
            text = "".join(choice.get("text") or "" for choice in choices)
            if text:
                record.add_text(text, received)
    record.finished_us = record.finished_us or now_us()
    record.status = "completed"
    return record
