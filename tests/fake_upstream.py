"""A fake OpenAI-compatible provider: a real HTTP server on a loopback port, scripted per test.

Each request to /v1/completions takes the next scripted reply (or, with respond_with(), the
reply a function makes of its body; or the default one) and is recorded with its headers and
JSON body, so tests can check exactly what went upstream.
"""

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def completion_chunk(text="", index=0, finish_reason=None, logprobs=None, usage=None):
    chunk = {
        "id": "cmpl-fake",
        "object": "text_completion",
        "created": 1,
        "model": "fake-model",
        "choices": [
            {"text": text, "index": index, "logprobs": logprobs, "finish_reason": finish_reason}
        ],
    }
    if usage is not None:
        chunk["usage"] = usage
    return chunk


def completion_response(texts, finish_reason="stop", usage=None, logprobs=None):
    return {
        "id": "cmpl-fake",
        "object": "text_completion",
        "created": 1,
        "model": "fake-model",
        "choices": [
            {"text": text, "index": i, "logprobs": logprobs, "finish_reason": finish_reason}
            for i, text in enumerate(texts)
        ],
        "usage": usage or {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
    }


def token_stream(tokens, index=0, finish_reason="length"):
    chunks = [completion_chunk(token, index=index) for token in tokens]
    chunks.append(completion_chunk("", index=index, finish_reason=finish_reason))
    return chunks


@dataclass
class SSE:
    """A streamed reply. Items are dicts (sent as JSON data events) or raw str/bytes lines."""

    events: list
    delay: float = 0.0
    done: bool = True
    status: int = 200
    # Seconds to hang after the events before ending (for read-timeout tests).
    stall: float = 0.0
    # During the stall, an SSE comment every this many seconds, as keep-alive proxies send.
    keepalive: float = 0.0


@dataclass
class Reply:
    """A plain reply: JSON when body is a dict or list, else raw bytes/str."""

    body: object
    status: int = 200
    content_type: str = "application/json"
    headers: dict = field(default_factory=dict)
    # Seconds to wait before answering (for stop and timeout tests on stream=false).
    delay: float = 0.0


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict
    body: object


class FakeUpstream:
    def __init__(self):
        self.requests: list[RecordedRequest] = []
        self.replies: list = []
        self.default_reply = SSE(token_stream(["Hello", ",", " world"]))
        # When set, makes the reply to a completion request from its body (once the
        # scripted replies are used up): an upstream that behaves by what it is asked.
        self.responder = None
        self.models = ["fake-model", "fake-model-large"]
        # When set, GET /models answers this instead of the model list.
        self.models_reply: Reply | None = None
        self.request_received = threading.Event()
        self.client_disconnected = threading.Event()
        self.streams_finished = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        # A short poll interval, so stop() returns quickly at the end of every test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def script(self, *replies):
        self.replies.extend(replies)

    def respond_with(self, responder):
        """responder(body) -> Reply | SSE answers each completion request from now on."""
        self.responder = responder
        return self

    def next_reply(self, body=None):
        if self.replies:
            return self.replies.pop(0)
        if self.responder is not None:
            return self.responder(body)
        return self.default_reply

    @property
    def completion_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/completions")]

    @property
    def model_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/models")]

    @property
    def last_body(self):
        completions = self.completion_requests
        return completions[-1].body if completions else None

    @property
    def last_headers(self) -> dict:
        """The last completion request's headers, with lower-cased names."""
        return {name.lower(): value for name, value in self.completion_requests[-1].headers.items()}

    def _handler_class(self):
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _record(self, body):
                upstream.requests.append(
                    RecordedRequest(self.command, self.path, dict(self.headers.items()), body)
                )
                upstream.request_received.set()

            def do_GET(self):
                self._record(None)
                if self.path.endswith("/models") and upstream.models_reply is not None:
                    self._send_plain(upstream.models_reply)
                elif self.path.endswith("/models"):
                    data = {"object": "list", "data": [{"id": m} for m in upstream.models]}
                    self._send_plain(Reply(data))
                else:
                    self._send_plain(Reply({"error": {"message": "not found"}}, status=404))

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw
                self._record(body)
                reply = upstream.next_reply(body)
                if isinstance(reply, SSE):
                    self._send_stream(reply)
                else:
                    self._send_plain(reply)

            def _send_plain(self, reply: Reply):
                if reply.delay:
                    try:
                        self._wait_or_notice_close(reply.delay)
                    except ClientGone:
                        upstream.client_disconnected.set()
                        return
                if isinstance(reply.body, (dict, list)):
                    payload = json.dumps(reply.body).encode()
                elif isinstance(reply.body, str):
                    payload = reply.body.encode()
                else:
                    payload = reply.body
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def _send_stream(self, reply: SSE):
                self.send_response(reply.status)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                try:
                    for event in reply.events:
                        if isinstance(event, dict):
                            data = f"data: {json.dumps(event)}\n\n".encode()
                        elif isinstance(event, str):
                            data = event.encode()
                        else:
                            data = event
                        self.wfile.write(data)
                        self.wfile.flush()
                        if reply.delay:
                            self._wait_or_notice_close(reply.delay)
                    if reply.stall and reply.keepalive:
                        self._send_keepalives(reply.stall, reply.keepalive)
                    elif reply.stall:
                        self._wait_or_notice_close(reply.stall)
                    if reply.done:
                        self.wfile.write(b"data: [DONE]\n\n")
                        self.wfile.flush()
                    upstream.streams_finished.set()
                except (BrokenPipeError, ConnectionResetError, ClientGone):
                    upstream.client_disconnected.set()

            def _send_keepalives(self, seconds, every):
                deadline = time.monotonic() + seconds
                while (left := deadline - time.monotonic()) > 0:
                    self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
                    self._wait_or_notice_close(min(every, left))

            def _wait_or_notice_close(self, seconds):
                # Waits, but notices at once if the client hung up (its socket reads EOF).
                deadline = time.monotonic() + seconds
                sock = self.connection
                while (left := deadline - time.monotonic()) > 0:
                    sock.settimeout(min(left, 0.05))
                    try:
                        if sock.recv(1, socket.MSG_PEEK) == b"":
                            raise ClientGone
                    except TimeoutError:
                        continue
                    except OSError as exc:
                        raise ClientGone from exc
                    finally:
                        sock.settimeout(None)
                    time.sleep(min(left, 0.05))

        return Handler


class ClientGone(Exception):
    pass
