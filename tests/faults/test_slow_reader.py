"""Fault: a client starts a run, then never reads its socket.

daphne never makes the application wait on a send (django/daphne#170), so the run goes on
at the provider's pace. What the client does not read waits in the kernel's socket buffers,
then in daphne's buffer for the connection. That is bounded by the run: its delta frames
carry its text once (at most one frame per 16 ms, and only with new text), its run.finished
frame carries its card, and its text is capped (PLAYGROUND_MAX_OUTPUT_CHARS). A client that
also sends nothing is dropped by daphne's ping timeout (README, "When things go wrong").
"""

import base64
import json
import os
import socket
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.live_client import (
    cookie_header,
    open_socket,
    receive_until,
    run_message,
    wait_for_stored_run,
    wait_until,
)

from ..fake_upstream import SSE, token_stream

pytestmark = pytest.mark.browser

# A long, fast stream: 3 MB of text, which with its card is more than the kernel's socket
# buffers take in, so daphne has to hold the rest.
TOKENS = [f"{i:06d}" + "x" * 94 for i in range(30_000)]
FULL_TEXT = "".join(TOKENS)
MB = 1024 * 1024


@pytest.fixture
def daphne_server_env():
    return {"PLAYGROUND_MAX_OUTPUT_CHARS": str(2 * len(FULL_TEXT))}


class RawSocket:
    """A websocket client done by hand, so that it reads only when the test says so.

    Its receive buffer keeps the kernel's default: a client that never reads leaves it at its
    first size (autotuning grows it only as the client reads).
    """

    def __init__(self, server, user):
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            "GET /ws/playground/ HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{server.port}\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            f"Origin: {server.url}\r\n"
            f"Cookie: {cookie_header(server, user)}\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        response = b""
        while not response.endswith(b"\r\n\r\n"):
            response += self._read(1)
        assert response.startswith(b"HTTP/1.1 101"), response
        self.bytes_read = 0

    def _read(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError("The server closed the socket")
            data += chunk
        return data

    def send_text(self, text: str) -> None:
        payload = text.encode()
        mask = os.urandom(4)
        header = bytes([0x81])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        elif len(payload) < 65536:
            header += bytes([0x80 | 126]) + len(payload).to_bytes(2, "big")
        else:
            header += bytes([0x80 | 127]) + len(payload).to_bytes(8, "big")
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def receive_frame(self) -> dict:
        """The next text frame, as JSON (daphne sends each message as one unmasked frame)."""
        first, second = self._read(2)
        length = second & 0x7F
        header = 2
        if length == 126:
            length, header = int.from_bytes(self._read(2), "big"), 4
        elif length == 127:
            length, header = int.from_bytes(self._read(8), "big"), 10
        payload = self._read(length)
        self.bytes_read += header + length
        assert first & 0x0F == 0x1, f"not a text frame: opcode {first & 0x0F}"
        return json.loads(payload)

    def receive_until(self, frame_type: str) -> list[dict]:
        frames = []
        while True:
            frames.append(self.receive_frame())
            if frames[-1]["type"] == frame_type:
                return frames

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw_socket(daphne_server, live_alice):
    client = RawSocket(daphne_server, live_alice)
    yield client
    client.close()


def resident_memory(pid: int) -> int:
    """The process's resident set size, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("No VmRSS line")


def page_answers(server) -> bool:
    with urllib.request.urlopen(f"{server.url}/accounts/login/", timeout=10) as reply:
        return reply.status == 200


def run_completes(server, user, provider, prompt="Count") -> bool:
    with open_socket(server, user) as other:
        other.send(run_message(provider, prompt))
        return receive_until(other, "run.finished")[-1]["status"] == "completed"


def run_ids(server) -> list[int]:
    return server.django(
        "from playground.runs.models import Run\n"
        "result = list(Run.objects.values_list('pk', flat=True))"
    )


def start_the_long_run_and_never_read(server, client, provider) -> dict:
    earlier = set(run_ids(server))
    client.send_text(run_message(provider, "Count"))
    run_id = wait_until(lambda: set(run_ids(server)) - earlier, what="the run to start").pop()
    return wait_for_stored_run(
        server, run_id, lambda run: run["status"] != "streaming", what="the run's end"
    )


def test_a_client_that_never_reads_holds_up_neither_its_run_nor_the_server(
    daphne_server, live_alice, live_alice_provider, upstream, raw_socket
):
    # The same run twice for a client that reads, first: the server's memory has grown to
    # what long runs take (the allocator keeps it), so what it grows by next is what it
    # holds for the client that does not read.
    for _ in range(2):
        upstream.script(SSE(token_stream(TOKENS), delay=0))
        assert run_completes(daphne_server, live_alice, live_alice_provider)
    upstream.script(SSE(token_stream(TOKENS), delay=0))
    before = resident_memory(daphne_server.process.pid)

    run = start_the_long_run_and_never_read(daphne_server, raw_socket, live_alice_provider)

    # The client has read nothing, yet the run went to its end and is stored whole.
    assert run["status"] == "completed", run["error"]
    assert run["text"] == FULL_TEXT
    # Other clients are served meanwhile.
    assert page_answers(daphne_server)
    assert run_completes(daphne_server, live_alice, live_alice_provider, prompt="Hi")
    # daphne holds what the client has not read (at most the run's frames, a few MB here):
    # a generous bound, as the allocator's own ups and downs are of that order too.
    grown = resident_memory(daphne_server.process.pid) - before
    assert grown < 16 * len(FULL_TEXT), f"daphne grew by {grown / MB:.0f} MB"


def test_what_waits_for_a_client_that_never_reads_is_its_run_once(
    daphne_server, live_alice_provider, upstream, raw_socket
):
    upstream.script(SSE(token_stream(TOKENS), delay=0))
    run = start_the_long_run_and_never_read(daphne_server, raw_socket, live_alice_provider)
    assert run["status"] == "completed", run["error"]

    # The client reads at last: the run's frames, all there, in order.
    frames = raw_socket.receive_until("run.finished")

    assert frames[0]["type"] == "run.started"
    deltas = frames[1:-1]
    assert {frame["type"] for frame in deltas} == {"delta"}
    assert "".join(frame["choices"]["0"] for frame in deltas) == FULL_TEXT
    # Chunks that arrived close together went out together.
    assert len(deltas) < len(TOKENS) / 10
    finished = frames[-1]
    assert finished["status"] == "completed"
    # Its card is larger than daphne sends in one message: the page fetches it instead.
    assert finished["html"] is None
    # All that waited: the text once in the deltas, the final frame, and frame headers.
    others = raw_socket.bytes_read - len(json.dumps(finished))
    assert others < len(FULL_TEXT) + 100 * len(frames)

    # The socket is as good as new.
    raw_socket.send_text(run_message(live_alice_provider, "Again"))
    frames = raw_socket.receive_until("run.finished")
    assert frames[-1]["status"] == "completed"
    assert "".join(f["choices"]["0"] for f in frames if f["type"] == "delta") == "Hello, world"


def test_the_page_shows_a_run_whose_card_is_too_large_for_one_message(alice_page, upstream):
    # 1.2 MB of text: its card passes daphne's 1 MiB message limit, so the page fetches it.
    tokens = TOKENS[:12_000]
    upstream.script(SSE(token_stream(tokens), delay=0))
    page = alice_page

    page.get_by_label("Prompt", exact=True).fill("Count")
    page.get_by_role("button", name="Submit").click()

    card = page.locator("#live-run .run-card:not(.live)")
    # 1.2 MB also streams into the editor's document, which takes the page a while
    # (README, Performance, figure 10): the card comes after that.
    expect(card).to_have_attribute("data-status", "completed", timeout=30_000)
    expect(page.locator("#live-run .run-card.live")).to_have_count(0)
    assert card.locator(".choice-text").text_content() == "".join(tokens)
    expect(page.get_by_role("button", name="Submit")).to_be_enabled()
    expect(page.get_by_role("button", name="Stop")).to_be_disabled()
