"""The providers' connections, on the event loop's own transports rather than through anyio.

httpcore reaches the network through a backend. Its default one under asyncio goes through
anyio, which opens each connection in a task group and wraps every read in a cancel scope
with a timer and every write in a checkpoint. That was most of what a request cost the
event loop, and a comparison's columns pay it one after another on one loop (bench,
figure 11). This backend does the same work with one asyncio Protocol per connection:

- what arrives is buffered as it comes; a read takes what is there at once, or waits on one
  future, with a timer only when the read has a timeout;
- reading pauses while more than READ_HIGH_WATER bytes wait unread, so a provider that
  sends faster than a run reads cannot fill the memory;
- a write hands its bytes to the transport, and waits only while the transport asks it to;
- whether the provider closed an idle pooled connection is known from the protocol's
  state, without a system call.

Its errors are httpcore's own exceptions, as from httpcore's own backends, so httpx maps
them as before and client.py words them as before.
"""

import asyncio
import collections
import ipaddress
import os
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

# Reading pauses once this much has arrived unread, and resumes below the low mark.
READ_HIGH_WATER = 256 * 1024
READ_LOW_WATER = 64 * 1024
# RFC 8305's delay before trying a host's next address, as anyio (and so httpcore) uses.
HAPPY_EYEBALLS_DELAY = 0.25


def use_backend(transport: httpx.AsyncHTTPTransport, backend: httpcore.AsyncNetworkBackend):
    """Makes the transport's connection pool open its connections through backend.

    httpx cannot be given a network backend yet (encode/httpx#3749), but its pool can.
    """
    transport._pool._network_backend = backend


class _Expired(Exception):
    """Set on a waiting read's or write's future when its timeout passes."""


def _expire(waiter: asyncio.Future) -> None:
    if not waiter.done():
        waiter.set_exception(_Expired())


def _wake(waiter: asyncio.Future | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


class _Connection(asyncio.Protocol):
    """One connection's state, as its transport reports it."""

    def __init__(self) -> None:
        self.transport: Any = None
        self.received: collections.deque[bytes] = collections.deque()
        self.unread = 0
        self.reading_paused = False
        self.writing_paused = False
        self.at_eof = False
        self.lost = False
        self.error: Exception | None = None
        self.read_waiter: asyncio.Future | None = None
        self.write_waiter: asyncio.Future | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.received.append(data)
        self.unread += len(data)
        if self.unread >= READ_HIGH_WATER and not self.reading_paused:
            self.reading_paused = True
            self.transport.pause_reading()
        _wake(self.read_waiter)

    def eof_received(self) -> bool:
        self.at_eof = True
        _wake(self.read_waiter)
        return False  # the transport closes itself: an HTTP peer that sent its FIN is done

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.error = exc
        _wake(self.read_waiter)
        _wake(self.write_waiter)

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        _wake(self.write_waiter)

    def finished(self) -> bool:
        """Nothing more will arrive."""
        return self.at_eof or self.lost


class AsyncioStream(httpcore.AsyncNetworkStream):
    def __init__(self, connection: _Connection) -> None:
        self._connection = connection

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        connection = self._connection
        if not connection.received:
            if not connection.finished():
                await self._wait("read_waiter", timeout, httpcore.ReadTimeout)
            if not connection.received:
                if connection.error is not None:
                    raise httpcore.ReadError(str(connection.error)) from connection.error
                return b""
        data = connection.received.popleft()
        if len(data) > max_bytes:
            connection.received.appendleft(data[max_bytes:])
            data = data[:max_bytes]
        connection.unread -= len(data)
        if connection.reading_paused and connection.unread <= READ_LOW_WATER:
            connection.reading_paused = False
            connection.transport.resume_reading()
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        connection = self._connection
        if connection.lost or connection.transport.is_closing():
            raise httpcore.WriteError("The connection is closed.")
        connection.transport.write(buffer)
        if connection.writing_paused:
            await self._wait("write_waiter", timeout, httpcore.WriteTimeout)
            if connection.lost:
                raise httpcore.WriteError(str(connection.error or "The connection closed."))

    async def _wait(self, kind: str, timeout: float | None, timeout_error: type) -> None:
        """Until the connection wakes the read or write waiting (kind), or timeout passes."""
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        setattr(self._connection, kind, waiter)
        timer = None if timeout is None else loop.call_later(timeout, _expire, waiter)
        try:
            await waiter
        except _Expired:
            raise timeout_error(f"Nothing happened for {timeout:g} seconds.") from None
        finally:
            if timer is not None:
                timer.cancel()
            setattr(self._connection, kind, None)

    async def aclose(self) -> None:
        transport = self._connection.transport
        if transport.get_write_buffer_size():
            # What is unsent is not wanted: a closed connection is abandoned, and a close
            # would wait for a peer that may never read.
            transport.abort()
        else:
            transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        connection = self._connection
        if connection.received or connection.finished():
            connection.transport.abort()
            raise httpcore.ConnectError("The server sent data before the TLS handshake.")
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(
                    connection.transport, connection, ssl_context, server_hostname=server_hostname
                )
        except TimeoutError:
            connection.transport.abort()
            raise httpcore.ConnectTimeout("The TLS handshake timed out.") from None
        except (OSError, ssl.SSLError) as exc:
            connection.transport.abort()
            raise httpcore.ConnectError(str(exc)) from exc
        # The protocol now hears from the TLS layer, and pauses reading through it.
        connection.transport = transport
        return AsyncioStream(connection)

    def get_extra_info(self, info: str) -> Any:
        transport = self._connection.transport
        if info == "is_readable":
            # An idle connection that has data or an end waiting was closed, or broken,
            # by the server (httpcore then opens another). The loop keeps reading while
            # it is idle, so the protocol already knows.
            return bool(self._connection.received) or self._connection.finished()
        names = {
            "ssl_object": "ssl_object",
            "client_addr": "sockname",
            "server_addr": "peername",
            "socket": "socket",
        }
        return transport.get_extra_info(names[info]) if info in names else None


def _why_not_connected(exc: OSError) -> str:
    """What the page says after "Could not connect to <url>:" (client.py)."""
    if isinstance(exc, socket.gaierror):
        return exc.strerror or str(exc)  # "Name or service not known"
    if exc.errno and exc.errno > 0:
        # asyncio words them all "Connect call failed (address)": the error's own name says
        # what happened ("Connection refused", "No route to host").
        return os.strerror(exc.errno)
    return str(exc)  # every address failed: asyncio lists each one's error


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport, connection = await loop.create_connection(
                    _Connection,
                    host,
                    port,
                    local_addr=None if local_address is None else (local_address, 0),
                    # An address has one way to reach it: no race to set up.
                    happy_eyeballs_delay=None if _is_address(host) else HAPPY_EYEBALLS_DELAY,
                )
        except TimeoutError:
            # Before OSError, of which it is one (a connection timed out by the kernel too).
            raise httpcore.ConnectTimeout(f"Connecting to {host} timed out.") from None
        except OSError as exc:
            raise httpcore.ConnectError(_why_not_connected(exc)) from exc
        try:
            for option in socket_options or ():
                transport.get_extra_info("socket").setsockopt(*option)
        except OSError as exc:
            transport.abort()
            raise httpcore.ConnectError(str(exc)) from exc
        return AsyncioStream(connection)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
