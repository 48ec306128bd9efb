"""The one place that talks HTTP to providers: completions (streamed or not) and model lists."""

import asyncio
import contextlib
import email.utils
import json
import math
import re
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

import httpx
from asgiref.sync import sync_to_async
from django.conf import settings
from httpx_sse import SSEError, aconnect_sse

from .backend import AsyncioBackend, use_backend
from .models import Provider
from .network import ForbiddenAddress, public_only_transport
from .redaction import Redactor

# How long a stream may take to end after its [DONE] before its connection is dropped.
AFTER_DONE_SECONDS = 0.25

# Keyed by public_only (see shared_client).
_clients: dict[bool, httpx.AsyncClient] = {}
_client_loop: asyncio.AbstractEventLoop | None = None


def shared_client(public_only: bool) -> httpx.AsyncClient:
    """One AsyncClient (and its connection pool) per event loop, reused by every run.

    Providers that may reach only public addresses (addresses.py) get a client of their own,
    whose connections are checked as they open. A pooled connection is reused unchecked, so
    it must never be one that a provider allowed to reach private addresses opened.
    """
    global _client_loop
    loop = asyncio.get_running_loop()
    if _client_loop is not loop:
        _clients.clear()
        _client_loop = loop
    if public_only not in _clients:
        limits = httpx.Limits(max_connections=1000, max_keepalive_connections=100)
        _clients[public_only] = httpx.AsyncClient(
            follow_redirects=False,
            timeout=httpx.Timeout(
                connect=settings.PLAYGROUND_UPSTREAM_CONNECT_TIMEOUT,
                read=settings.PLAYGROUND_UPSTREAM_READ_TIMEOUT,
                write=30,
                pool=30,
            ),
            limits=limits,
            # Given a transport, a client uses no proxy from the environment: a proxy would
            # choose the address itself. trust_env=False leaves ~/.netrc's passwords out too.
            transport=public_only_transport(limits=limits) if public_only else None,
            trust_env=not public_only,
        )
        if not public_only:
            # The transport httpx made for direct connections (one through a proxy from the
            # environment keeps the transport httpx makes for that proxy).
            direct = _clients[public_only]._transport
            assert isinstance(direct, httpx.AsyncHTTPTransport)
            use_backend(direct, AsyncioBackend())
    return _clients[public_only]


async def _client_for(provider: Provider) -> httpx.AsyncClient:
    """The shared client whose connections reach only what this provider may reach."""
    if provider.owner_id is None or Provider.owner.is_cached(provider):
        may_reach_private = provider.may_reach_private_networks()
    else:
        # Provider.objects.usable_by() loads the owner with the provider; elsewhere, a query.
        may_reach_private = await sync_to_async(provider.may_reach_private_networks)()
    return shared_client(public_only=not may_reach_private)


class UpstreamError(Exception):
    """A provider failure, with a message fit to show a person.

    Whatever part of the message came from the provider has been through its Redactor.
    status is the HTTP status of an error answer; reported is true for an error the provider
    sent in a 200 answer or a stream event. Neither means the provider was never heard from.
    retry_after is the seconds an error answer's Retry-After header asked to wait, if any
    (429 and 503 answers carry it), for the callers that retry (dataset runs).
    """

    def __init__(
        self,
        message: str,
        status: int | None = None,
        reported: bool = False,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.reported = reported
        self.retry_after = retry_after


def _retry_after(response: httpx.Response) -> float | None:
    """A Retry-After header's wait in seconds: a number of seconds, or an HTTP date."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _shown(text: str, redact: Redactor, limit: int) -> str:
    """Provider text, for a message: redacted first, so no secret straddles the cut."""
    text = redact.text(text)
    return text if len(text) <= limit else text[:limit] + "…"


@dataclass
class Chunk:
    """One parsed piece of a completion: a stream event, or a whole non-streamed response."""

    data: dict
    # Its length as the provider sent it (the raw view's limit counts it): measuring the
    # parsed data again would cost as much as parsing it.
    size: int


def _error_detail(body: bytes, content_type: str, redact: Redactor) -> str:
    text = body.decode("utf-8", errors="replace")
    try:
        payload = json.loads(text)
    except ValueError:
        kind = redact.text(content_type.split(";")[0].strip()) or "unknown type"
        plain = re.sub(r"<[^>]+>", " ", text)
        plain = re.sub(r"\s+", " ", plain).strip()
        if not plain:
            return f"an empty {kind} body"
        # Without its trailing "…", as before: the page says what kind of body it was.
        return f"a non-JSON body ({kind}): {redact.text(plain)[:300]}"
    message = _message_from_payload(payload) or text
    # Some servers put a whole traceback in their message: keep the page readable.
    return _shown(message, redact, 1000)


def _message_from_payload(payload) -> str:
    if isinstance(payload, dict):
        error = payload.get("error", payload.get("detail", payload.get("message")))
        if isinstance(error, dict):
            return str(error.get("message") or error)
        if isinstance(error, list):
            return "; ".join(str(e.get("msg", e) if isinstance(e, dict) else e) for e in error)
        if error:
            return str(error)
    return ""


def _status_error(response: httpx.Response, body: bytes, redact: Redactor) -> UpstreamError:
    detail = _error_detail(body, response.headers.get("content-type", ""), redact)
    reason = redact.text(response.reason_phrase or "")
    if response.is_redirect:
        # Followed, a redirect could lead anywhere, past the address rules (addresses.py).
        status = f"{response.status_code} {reason}".strip()
        location = _shown(response.headers["location"], redact, 1000)
        return UpstreamError(
            f"The provider answered {status}, a redirect to {location}, "
            "and redirects are not followed: put the address it leads to in the provider's "
            "base URL.",
            status=response.status_code,
        )
    return UpstreamError(
        f"The provider answered {response.status_code} {reason}: {detail}".replace("  ", " "),
        status=response.status_code,
        retry_after=_retry_after(response),
    )


def _transport_error(provider: Provider, exc: httpx.HTTPError, redact: Redactor) -> UpstreamError:
    if isinstance(exc, ForbiddenAddress):
        return UpstreamError(str(exc))
    if isinstance(exc, httpx.ConnectTimeout):
        return UpstreamError(f"Timed out connecting to {provider.base_url}.")
    if isinstance(exc, httpx.TimeoutException):
        return _silence_error()
    # These quote what the provider sent (a malformed header line, say).
    if isinstance(exc, httpx.ConnectError):
        reason = redact.text(str(exc)) or "refused"
        return UpstreamError(f"Could not connect to {provider.base_url}: {reason}.")
    if isinstance(exc, httpx.RemoteProtocolError):
        return UpstreamError(f"The provider closed the connection early: {redact.text(str(exc))}.")
    return UpstreamError(f"Network error talking to {provider.base_url}: {redact.text(repr(exc))}.")


def _silence_error() -> UpstreamError:
    return UpstreamError(
        f"The provider stopped answering: nothing arrived for "
        f"{settings.PLAYGROUND_UPSTREAM_READ_TIMEOUT:g} s."
    )


class _ByteLimit(httpx.AsyncByteStream):
    """A response's bytes, failing once more than PLAYGROUND_MAX_CHUNK_BYTES arrive unparsed.

    httpx-sse holds a line, and an event, until it ends: a provider that never ends one
    would fill the memory. `unparsed` goes back to 0 at each event (_in_time); for a whole
    response it never does, so the limit bounds the response.
    """

    def __init__(self, stream: httpx.AsyncByteStream):
        self._stream = stream
        self.unparsed = 0

    async def __aiter__(self):
        limit = settings.PLAYGROUND_MAX_CHUNK_BYTES
        async for piece in self._stream:
            self.unparsed += len(piece)
            if self.unparsed > limit:
                raise UpstreamError(
                    f"Reading stopped: the provider sent more than {limit:,} bytes without "
                    "finishing a chunk, the playground's cap for one stream event or one "
                    "whole response."
                )
            yield piece

    async def aclose(self) -> None:
        await self._stream.aclose()
        # httpx's stream holds its response, which holds this: let go of it, and a closed
        # response is freed at once rather than left to the garbage collector.
        self._stream = _CLOSED


_CLOSED = httpx.ByteStream(b"")


def _limit_bytes(response: httpx.Response) -> _ByteLimit:
    # An AsyncClient's response always has an async stream.
    response.stream = limited = _ByteLimit(cast(httpx.AsyncByteStream, response.stream))
    return limited


def _headers(provider: Provider) -> dict:
    if provider.secrets_unreadable:
        # Sent without them, a request would go out unauthenticated, or as someone else.
        raise UpstreamError(provider.unreadable_message())
    # Uncompressed, so the byte limit counts what memory holds: a small gzip body can
    # inflate a thousandfold.
    return {**provider.request_headers(), "Accept-Encoding": "identity"}


def _malformed(text: str, redact: Redactor) -> UpstreamError:
    return UpstreamError(f"The provider sent a malformed chunk: {redact.text(text)[:200]!r}")


def _parse_json_object(text: str, redact: Redactor) -> dict:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _malformed(text, redact) from exc
    if not isinstance(data, dict):
        raise _malformed(text, redact)
    if data.get("error"):
        message = _message_from_payload(data) or str(data["error"])
        raise UpstreamError(
            f"The provider reported an error: {_shown(message, redact, 1000)}", reported=True
        )
    if redact.might_hide_a_secret(text):
        # A provider's answer is kept and shown (raw response, finish_reason), and some
        # gateways report the headers they saw in it.
        data = redact.json(data)
    return data


async def stream_completion(provider: Provider, body: dict) -> AsyncGenerator[Chunk]:
    """POST /completions and yield each chunk as it arrives.

    A non-streamed response (stream false, or a provider that ignores stream) is yielded as
    one chunk. Raises UpstreamError for every way a provider can fail.
    """
    headers = _headers(provider)
    redact = provider.redactor()
    try:
        if body.get("stream"):
            # Closed at once when the caller stops reading (at the output cap), which
            # closes the connection rather than leave it open until garbage collection.
            chunks = _streamed(provider, body, headers, redact)
            async with contextlib.aclosing(chunks):
                async for chunk in chunks:
                    yield chunk
        else:
            yield await _whole(provider, body, headers, redact)
    except httpx.HTTPError as exc:
        raise _transport_error(provider, exc, redact) from exc
    except SSEError as exc:
        message = f"The provider's stream is not valid SSE: {redact.text(str(exc))}"
        raise UpstreamError(message) from exc


async def _whole(provider: Provider, body: dict, headers: dict, redact: Redactor) -> Chunk:
    client = await _client_for(provider)
    async with client.stream(
        "POST", provider.url("completions"), json=body, headers=headers
    ) as response:
        _limit_bytes(response)
        return _json_response(response, await response.aread(), redact)


def _json_response(response: httpx.Response, raw: bytes, redact: Redactor) -> Chunk:
    if response.is_error or response.is_redirect:
        raise _status_error(response, raw, redact)
    content_type = response.headers.get("content-type", "")
    if "json" not in content_type:
        detail = _error_detail(raw, content_type, redact)
        raise UpstreamError(f"The provider answered with {detail}")
    return Chunk(_parse_json_object(raw.decode("utf-8", errors="replace"), redact), len(raw))


async def _streamed(
    provider: Provider, body: dict, headers: dict, redact: Redactor
) -> AsyncGenerator[Chunk]:
    async with aconnect_sse(
        await _client_for(provider),
        "POST",
        provider.url("completions"),
        json=body,
        headers=headers,
    ) as event_source:
        response = event_source.response
        limited = _limit_bytes(response)
        is_event_stream = response.headers.get("content-type", "").startswith("text/event-stream")
        if response.is_error or response.is_redirect or not is_event_stream:
            # An error, or a provider that ignored stream=true and sent the whole response.
            yield _json_response(response, await response.aread(), redact)
            return
        events = event_source.aiter_sse()
        async for event in _in_time(events, limited):
            data = event.data.strip()
            if data == "[DONE]":
                await _read_to_the_end(events)
                return
            if data:
                yield Chunk(_parse_json_object(data, redact), len(data))
        raise UpstreamError(
            "The stream ended without [DONE]: the provider hung up, so the output may be "
            "incomplete."
        )


class _Watchdog:
    """Cancels its task once the task has waited the read timeout for one event.

    One timer for the whole stream: asyncio.timeout() around each event costs as much as
    parsing the event, a quarter of what the playground adds to each token of a fast stream.
    When the timer fires for an event that came meanwhile, it moves to the current wait's
    deadline instead.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("The watchdog watches a task: start it inside one.")
        self.task = task
        # Cancellations already asked for (a stop, say) are not the watchdog's.
        self._cancelling = self.task.cancelling()
        self.waiting_since: float | None = None
        self.fired = False
        self._timer = self.loop.call_at(self.loop.time() + seconds, self._check)

    def _check(self) -> None:
        since = self.waiting_since
        due = (self.loop.time() if since is None else since) + self.seconds
        if since is None or self.loop.time() < due:
            self._timer = self.loop.call_at(due, self._check)
            return
        self.fired = True
        self.task.cancel()

    def timed_out(self) -> bool:
        """After a CancelledError: whether the watchdog alone caused it."""
        return self.fired and self.task.uncancel() <= self._cancelling

    def close(self) -> None:
        self._timer.cancel()
        # A stopped stream's CancelledError holds this watchdog (in its traceback's frames)
        # and the task holds the error: let go of the task, or all of it waits for the
        # garbage collector.
        del self.task


async def _in_time(events: AsyncIterator, limited: _ByteLimit) -> AsyncIterator:
    """The events, each within the read timeout of the one before.

    httpx's read timeout restarts at every byte, so keep-alive comments (which proxies such
    as OpenRouter's send while a model works) would hide a provider that stalled for good.
    """
    watchdog = _Watchdog(settings.PLAYGROUND_UPSTREAM_READ_TIMEOUT)
    try:
        while True:
            watchdog.waiting_since = watchdog.loop.time()
            try:
                event = await anext(events)
            except StopAsyncIteration:
                return
            except asyncio.CancelledError:
                if watchdog.timed_out():
                    raise _silence_error() from None
                raise
            watchdog.waiting_since = None
            limited.unparsed = 0
            yield event
    finally:
        watchdog.close()


async def _read_to_the_end(events: AsyncIterator) -> None:
    """Reads what follows [DONE] (normally only the end of the body), briefly.

    A response closed before its end closes its connection too; read to the end, the
    connection goes back to the pool, and the next run skips the TCP and TLS handshakes.
    """
    try:
        async with asyncio.timeout(AFTER_DONE_SECONDS):
            async for _ in events:
                pass
    except (TimeoutError, httpx.HTTPError, SSEError, UpstreamError):
        pass


async def list_models(provider: Provider) -> list[str]:
    """GET /models and return the model ids, sorted."""
    headers = _headers(provider)
    redact = provider.redactor()
    try:
        client = await _client_for(provider)
        response = await client.get(provider.url("models"), headers=headers, timeout=15)
    except httpx.HTTPError as exc:
        raise _transport_error(provider, exc, redact) from exc
    if response.is_error or response.is_redirect:
        raise _status_error(response, response.content, redact)
    try:
        payload = response.json()
        # Ids can quote a secret too: fine-tuned models are named after their organization.
        return sorted({redact.text(str(item["id"])) for item in payload["data"]})
    except (ValueError, KeyError, TypeError) as exc:
        raise UpstreamError("The provider's model list is not in the OpenAI format.") from exc
