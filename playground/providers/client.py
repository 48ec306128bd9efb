"""The one place that talks HTTP to providers: completions (streamed or not) and model lists."""

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
from django.conf import settings
from httpx_sse import SSEError, aconnect_sse

from .models import Provider

_client: httpx.AsyncClient | None = None
_client_loop: asyncio.AbstractEventLoop | None = None


def shared_client() -> httpx.AsyncClient:
    """One AsyncClient (and its connection pool) per event loop, reused by every run."""
    global _client, _client_loop
    loop = asyncio.get_running_loop()
    if _client is None or _client_loop is not loop:
        _client = httpx.AsyncClient(
            follow_redirects=False,
            timeout=httpx.Timeout(
                connect=settings.PLAYGROUND_UPSTREAM_CONNECT_TIMEOUT,
                read=settings.PLAYGROUND_UPSTREAM_READ_TIMEOUT,
                write=30,
                pool=30,
            ),
            limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100),
        )
        _client_loop = loop
    return _client


class UpstreamError(Exception):
    """A provider failure, with a message fit to show a person."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status

    def redact(self, secret: str) -> None:
        # Some providers quote the key they rejected; it must reach neither the page nor a run.
        if secret and secret in self.message:
            self.message = self.message.replace(secret, "[the API key]")
            self.args = (self.message,)


@dataclass
class Chunk:
    """One parsed piece of a completion: a stream event, or a whole non-streamed response."""

    data: dict


def _error_detail(body: bytes, content_type: str) -> str:
    text = body.decode("utf-8", errors="replace")
    try:
        payload = json.loads(text)
    except ValueError:
        kind = content_type.split(";")[0].strip() or "unknown type"
        plain = re.sub(r"<[^>]+>", " ", text)
        plain = re.sub(r"\s+", " ", plain).strip()
        return f"a non-JSON body ({kind}): {plain[:300]}" if plain else f"an empty {kind} body"
    message = _message_from_payload(payload) or text
    # Some servers put a whole traceback in their message: keep the page readable.
    return message if len(message) <= 1000 else message[:1000] + "…"


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


def _status_error(response: httpx.Response, body: bytes) -> UpstreamError:
    detail = _error_detail(body, response.headers.get("content-type", ""))
    reason = response.reason_phrase or ""
    return UpstreamError(
        f"The provider answered {response.status_code} {reason}: {detail}".replace("  ", " "),
        status=response.status_code,
    )


def _transport_error(provider: Provider, exc: httpx.HTTPError) -> UpstreamError:
    if isinstance(exc, httpx.ConnectTimeout):
        return UpstreamError(f"Timed out connecting to {provider.base_url}.")
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamError(
            f"The provider stopped answering: nothing arrived for "
            f"{settings.PLAYGROUND_UPSTREAM_READ_TIMEOUT:g} s."
        )
    if isinstance(exc, httpx.ConnectError):
        return UpstreamError(f"Could not connect to {provider.base_url}: {exc or 'refused'}.")
    if isinstance(exc, httpx.RemoteProtocolError):
        return UpstreamError(f"The provider closed the connection early: {exc}.")
    return UpstreamError(f"Network error talking to {provider.base_url}: {exc!r}.")


def _parse_json_object(text: str) -> dict:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise UpstreamError(f"The provider sent a malformed chunk: {text[:200]!r}") from exc
    if not isinstance(data, dict):
        raise UpstreamError(f"The provider sent a malformed chunk: {text[:200]!r}")
    if data.get("error"):
        raise UpstreamError(
            f"The provider reported an error: {_message_from_payload(data) or data['error']}"
        )
    return data


async def stream_completion(provider: Provider, body: dict) -> AsyncIterator[Chunk]:
    """POST /completions and yield each chunk as it arrives.

    A non-streamed response (stream false, or a provider that ignores stream) is yielded as
    one chunk. Raises UpstreamError for every way a provider can fail.
    """
    try:
        if body.get("stream"):
            async for chunk in _streamed(provider, body):
                yield chunk
        else:
            yield await _whole(provider, body)
    except httpx.HTTPError as exc:
        raise _transport_error(provider, exc) from exc
    except SSEError as exc:
        raise UpstreamError(f"The provider's stream is not valid SSE: {exc}") from exc
    except UpstreamError as exc:
        exc.redact(provider.api_key)
        raise


async def _whole(provider: Provider, body: dict) -> Chunk:
    response = await shared_client().post(
        provider.url("completions"), json=body, headers=provider.request_headers()
    )
    return _json_response(response, response.content)


def _json_response(response: httpx.Response, raw: bytes) -> Chunk:
    if response.is_error or response.is_redirect:
        raise _status_error(response, raw)
    content_type = response.headers.get("content-type", "")
    if "json" not in content_type:
        raise UpstreamError(f"The provider answered with {_error_detail(raw, content_type)}")
    return Chunk(_parse_json_object(raw.decode("utf-8", errors="replace")))


async def _streamed(provider: Provider, body: dict) -> AsyncIterator[Chunk]:
    async with aconnect_sse(
        shared_client(),
        "POST",
        provider.url("completions"),
        json=body,
        headers=provider.request_headers(),
    ) as event_source:
        response = event_source.response
        is_event_stream = response.headers.get("content-type", "").startswith("text/event-stream")
        if response.is_error or response.is_redirect or not is_event_stream:
            # An error, or a provider that ignored stream=true and sent the whole response.
            yield _json_response(response, await response.aread())
            return
        async for event in event_source.aiter_sse():
            data = event.data.strip()
            if data == "[DONE]":
                return
            if data:
                yield Chunk(_parse_json_object(data))
        raise UpstreamError(
            "The stream ended without [DONE]: the provider hung up, so the output may be "
            "incomplete."
        )


async def list_models(provider: Provider) -> list[str]:
    """GET /models and return the model ids, sorted."""
    try:
        response = await shared_client().get(
            provider.url("models"), headers=provider.request_headers(), timeout=15
        )
    except httpx.HTTPError as exc:
        raise _transport_error(provider, exc) from exc
    if response.is_error or response.is_redirect:
        error = _status_error(response, response.content)
        error.redact(provider.api_key)
        raise error
    try:
        payload = response.json()
        return sorted({str(item["id"]) for item in payload["data"]})
    except (ValueError, KeyError, TypeError) as exc:
        raise UpstreamError("The provider's model list is not in the OpenAI format.") from exc
