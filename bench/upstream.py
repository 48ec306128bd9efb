"""A paced, stamping OpenAI-compatible upstream: the benchmark's model, on loopback.

GET /stats says how many connections and streams it has served, and in how many writes
their chunks went out.

POST /v1/completions streams `max_tokens` chunks, `bench_interval_ms` apart, as SSE with
chunked transfer encoding (so httpx keeps the connection in its pool). The text of chunk i
is " i:T", where T is CLOCK_MONOTONIC in microseconds when the chunk was written: a
client on the same machine reads time.monotonic_ns() and knows each token's delay, and
the sequence numbers show any lost or reordered token. A finish chunk and [DONE] follow.
With `bench_interval_ms` 0 there is no pacing: chunks go out as fast as they are read.
With `bench_stamp` false the text is " i" (no time: about the length of a real token, for
the browser figure). With `logprobs` n, each chunk carries its token's log probability
and n alternatives (as OpenAI's legacy completions do), so pages can tint as they stream.

Streams naming a `bench_group` of `bench_group_size` wait until the whole group has
arrived (or GROUP_TIMEOUT), then start together with their phases spread over one
interval: N concurrent streams are really concurrent, however long the playground took to
start them all.

Run it as a subprocess: `python -m bench.upstream` prints "PORT <n>" and
serves on 127.0.0.1 until its stdin closes (or its parent dies).
"""

import asyncio
import contextlib
import heapq
import itertools
import json
import signal
import sys
import time

GROUP_TIMEOUT = 60.0
# Bounds on what one request may ask for, so a typo cannot keep the server busy for hours.
MAX_TOKENS = 100_000
MAX_INTERVAL_MS = 1_000
# At most this many chunks in one write (about 40 KB), when several are due at once.
BATCH = 256

_CHUNK = (
    '{"id":"cmpl-bench","object":"text_completion","created":0,"model":"bench",'
    '"choices":[{"text":" %d:%d","index":0,"logprobs":null,"finish_reason":null}]}'
)
_SHORT_CHUNK = _CHUNK.replace(" %d:%d", " %d")
_LOGPROBS_CHUNK = (
    '{"id":"cmpl-bench","object":"text_completion","created":0,"model":"bench",'
    '"choices":[{"text":%s,"index":0,"logprobs":{"tokens":[%s],"token_logprobs":[%s],'
    '"top_logprobs":[%s],"text_offset":[%d]},"finish_reason":null}]}'
)
_FINISH = (
    '{"id":"cmpl-bench","object":"text_completion","created":0,"model":"bench",'
    '"choices":[{"text":"","index":0,"logprobs":null,"finish_reason":"length"}],'
    '"usage":{"prompt_tokens":1,"completion_tokens":%d,"total_tokens":%d}}'
)
_STREAM_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n"
)


def now_us() -> int:
    """The shared clock: CLOCK_MONOTONIC is system-wide on Linux, so processes agree."""
    return time.monotonic_ns() // 1000


def _http_chunk(event: str) -> bytes:
    payload = f"data: {event}\n\n".encode()
    return b"%x\r\n%s\r\n" % (len(payload), payload)


def _reply(status: str, body: dict) -> bytes:
    data = json.dumps(body).encode()
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(data)}"
    return head.encode() + b"\r\n\r\n" + data


class _Group:
    def __init__(self, size: int):
        self.size = size
        self.arrived = 0
        self.start_us = 0
        self.ready = asyncio.Event()

    def open(self, delay_us: int = 2_000) -> None:
        if not self.ready.is_set():
            self.start_us = now_us() + delay_us
            self.ready.set()


class PacedUpstream:
    def __init__(self):
        self.groups: dict[str, _Group] = {}
        self.pacer = _Pacer()
        self.streams_served = 0
        self.connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.connections += 1
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _one_request(self, reader, writer) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length") or 0)
        body = await reader.readexactly(length) if length else b""
        if method == "POST" and path.endswith("/completions"):
            await self._stream(json.loads(body or b"{}"), writer)
        elif method == "GET" and path == "/stats":
            stats = {
                "connections": self.connections,
                "streams": self.streams_served,
                "writes": self.pacer.writes,
            }
            writer.write(_reply("200 OK", stats))
        elif method == "GET" and path.endswith("/models"):
            writer.write(_reply("200 OK", {"object": "list", "data": [{"id": "bench"}]}))
        else:
            writer.write(_reply("404 Not Found", {"error": {"message": "not found"}}))
        await writer.drain()
        return headers.get("connection", "").lower() != "close"

    async def _start_time(self, body: dict, interval_us: int) -> int:
        name = body.get("bench_group")
        if not name:
            return now_us()
        group = self.groups.get(name)
        if group is None:
            group = self.groups[name] = _Group(max(1, int(body.get("bench_group_size") or 1)))
        order = group.arrived
        group.arrived += 1
        if group.arrived >= group.size:
            self.groups.pop(name, None)
            group.open()
        else:
            try:
                await asyncio.wait_for(group.ready.wait(), GROUP_TIMEOUT)
            except TimeoutError:
                self.groups.pop(name, None)
                group.open(0)
        return group.start_us + order * interval_us // group.size

    async def _stream(self, body: dict, writer: asyncio.StreamWriter) -> None:
        tokens = max(0, min(int(body.get("max_tokens") or 16), MAX_TOKENS))
        interval_us = int(min(float(body.get("bench_interval_ms") or 0), MAX_INTERVAL_MS) * 1000)
        writer.write(_STREAM_HEAD)
        await writer.drain()
        start = await self._start_time(body, interval_us)
        stream = _Stream(writer.transport, tokens, interval_us, start)
        stream.stamp = body.get("bench_stamp", True) is not False
        logprobs = body.get("logprobs")
        if isinstance(logprobs, int) and not isinstance(logprobs, bool) and logprobs >= 0:
            stream.alternatives = min(logprobs, 5)
        self.pacer.add(stream)
        await stream.done
        writer.write(_http_chunk(_FINISH % (tokens, tokens + 1)))
        writer.write(_http_chunk("[DONE]") + b"0\r\n\r\n")
        self.streams_served += 1


class _Stream:
    def __init__(self, transport: asyncio.WriteTransport, tokens: int, interval_us: int, start):
        self.transport = transport
        self.tokens = tokens
        self.interval_us = interval_us
        self.start_us = start
        self.seq = 0
        self.done = asyncio.get_running_loop().create_future()
        self.stamp = True
        self.alternatives: int | None = None  # logprobs asked for: alternatives per token
        self.offset = 0

    def chunk(self, now: int) -> str:
        if self.alternatives is None:
            return _CHUNK % (self.seq, now) if self.stamp else _SHORT_CHUNK % self.seq
        text = f" {self.seq}:{now}" if self.stamp else f" {self.seq}"
        # A made-up but varied distribution: the chosen token and its alternatives.
        logprob = round(-0.1 * (self.seq % 40), 2)
        top = {text: logprob}
        for k in range(1, self.alternatives):
            top[f" alt{k}"] = round(logprob - k, 3)
        quoted = json.dumps(text)
        chunk = _LOGPROBS_CHUNK % (quoted, quoted, logprob, json.dumps(top), self.offset)
        self.offset += len(text)
        return chunk

    def due_us(self) -> int:
        return self.start_us + self.seq * self.interval_us


class _Pacer:
    """Writes every stream's chunks when they are due, from one task and one timer.

    A timer and a task wake-up per chunk would cost more than the chunk: with hundreds of
    streams this server would compete for the CPU with the server it measures.
    """

    # A stream whose reader is this far behind waits for it (its chunks are stamped late).
    MAX_BUFFERED = 1 << 20

    def __init__(self):
        self._heap: list[tuple[int, int, _Stream]] = []
        self._order = itertools.count()
        self._wake = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run())
        # Transport writes of chunks, for GET /stats.
        self.writes = 0

    def add(self, stream: _Stream) -> None:
        if stream.tokens == 0:
            stream.done.set_result(None)
            return
        heapq.heappush(self._heap, (stream.due_us(), next(self._order), stream))
        self._wake.set()

    async def _run(self) -> None:
        heap = self._heap
        while True:
            if not heap:
                self._wake.clear()
                await self._wake.wait()
                continue
            wait = heap[0][0] - now_us()
            if wait > 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait / 1e6)
                continue
            now = now_us()
            while heap and heap[0][0] <= now:
                _, _, stream = heapq.heappop(heap)
                self._send_next(stream, now)

    def _send_next(self, stream: _Stream, now: int) -> None:
        transport = stream.transport
        if transport.is_closing():
            stream.done.done() or stream.done.set_exception(ConnectionResetError())
            return
        if transport.get_write_buffer_size() > self.MAX_BUFFERED:
            heapq.heappush(self._heap, (now + 1000, next(self._order), stream))
            return
        # The chunks already due go out in one write. Written one at a time, an unpaced
        # stream whose reader fell behind piled up thousands of small pieces in asyncio's
        # write buffer, and every write summed them all (asyncio checks the buffer's size at
        # each write, and since Python 3.12 that size is a sum over its pieces): the cost of
        # a chunk grew with the stream's length, and this server, not the playground, made
        # long runs take quadratic time (issue 11: 6.7 s of its CPU for 80,000 tokens).
        pieces = []
        while True:
            pieces.append(_http_chunk(stream.chunk(now_us())))
            stream.seq += 1
            if stream.seq >= stream.tokens or stream.due_us() > now or len(pieces) >= BATCH:
                break
        transport.write(b"".join(pieces))
        self.writes += 1
        if stream.seq >= stream.tokens:
            stream.done.set_result(None)
        else:
            heapq.heappush(self._heap, (stream.due_us(), next(self._order), stream))


async def serve(port: int = 0) -> None:
    upstream = PacedUpstream()
    # A deep backlog: hundreds of streams connect at once.
    server = await asyncio.start_server(upstream.handle, "127.0.0.1", port, backlog=1024)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    loop = asyncio.get_running_loop()
    stopped = loop.create_future()
    # Ends when the parent closes our stdin (or dies), or on SIGTERM.
    loop.add_reader(sys.stdin.fileno(), lambda: stopped.done() or stopped.set_result(None))
    loop.add_signal_handler(signal.SIGTERM, lambda: stopped.done() or stopped.set_result(None))
    async with server:
        await stopped


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
