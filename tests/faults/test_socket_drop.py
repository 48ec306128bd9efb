"""Fault: the page's websocket drops mid-stream (the network between them fails), then
the page reconnects.

The drop is real: the page talks to daphne through a TCP proxy in the test process, which
cuts every connection at once. Chromium sees an abnormal closure (1006), so htmx's ws
extension reconnects; daphne sees its connection end, so the consumer stops the run.
(Chromium's offline emulation leaves websockets open, so it cannot stand in for this.)
"""

import contextlib
import socket
import threading

import pytest
from playwright.sync_api import expect

from playground.execution.consumers import SOCKET_CLOSED
from tests.support.live_client import stored_run, wait_for_stored_run

from ..fake_upstream import SSE, token_stream

pytestmark = pytest.mark.browser

TOKENS = [f" w{i}" for i in range(400)]
FULL_TEXT = "".join(TOKENS)


class CuttableProxy:
    """Forwards loopback TCP connections to a server until cut() drops them all."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        # While down, new connections are closed at once, as an unreachable server's fail.
        self.down = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.down:
                client.close()
                continue
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cut(self, down: bool = False) -> None:
        """Drops every open connection, both ways, as a failing network does; with down,
        new ones fail too until up()."""
        self.down = down
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def up(self) -> None:
        self.down = False

    def close(self) -> None:
        self._listener.close()
        self.cut()


@pytest.fixture
def proxy(daphne_server):
    proxy = CuttableProxy(daphne_server.port)
    yield proxy
    proxy.close()


@pytest.fixture
def proxied_page(new_context, live_alice, live_alice_provider, proxy):
    """alice's playground, reached through the proxy (her session cookie is per host)."""
    page = new_context(user=live_alice, base_url=proxy.url).new_page()
    page.goto("/")
    expect(page.locator("#socket-state")).to_have_attribute("data-state", "open")
    expect(page.locator("#model-options-wrap .help")).to_be_visible()
    return page


def start_a_long_run(page, upstream) -> int:
    upstream.script(SSE(token_stream(TOKENS), delay=0.05))
    page.get_by_label("Prompt", exact=True).fill("Count")
    page.get_by_role("button", name="Submit").click()
    live = page.locator("#live-run .run-card.live")
    expect(live.locator(".choice-text")).not_to_be_empty()
    return int(live.get_attribute("data-run"))


def test_a_dropped_socket_stops_the_run_and_hangs_up_on_the_provider(
    proxied_page, proxy, upstream, daphne_server
):
    run_id = start_a_long_run(proxied_page, upstream)

    proxy.cut()

    assert upstream.client_disconnected.wait(10)
    assert not upstream.streams_finished.is_set()
    stored = wait_for_stored_run(daphne_server, run_id, lambda run: run["status"] != "streaming")
    assert stored["status"] == "stopped"
    assert stored["error"] == SOCKET_CLOSED
    assert stored["text"] and FULL_TEXT.startswith(stored["text"])
    assert stored["text"] != FULL_TEXT


def test_the_reconnected_page_shows_the_stored_run_and_runs_again(
    proxied_page, proxy, upstream, daphne_server
):
    page = proxied_page
    run_id = start_a_long_run(page, upstream)

    proxy.cut(down=True)

    # While it is away, the page says what happened to the run.
    live = page.locator(f"#run-{run_id}.live")
    expect(live.locator(".live-status")).to_contain_text("The connection dropped")
    expect(page.get_by_role("button", name="Stop")).to_be_disabled()
    proxy.up()

    # Back: the streaming pane gives way to the stored run's card.
    card = page.locator(f"#live-run #run-{run_id}")
    expect(card).to_have_attribute("data-status", "stopped", timeout=20_000)
    expect(page.locator("#live-run .run-card.live")).to_have_count(0)
    expect(card.locator(".badge")).to_have_text("Stopped")
    expect(card.locator(".run-note")).to_have_text(SOCKET_CLOSED)
    stored = stored_run(daphne_server, run_id)
    expect(card.locator(".choice-text")).to_have_text(stored["text"])
    expect(page.locator("#socket-state")).to_have_attribute("data-state", "open")
    expect(page.get_by_role("button", name="Stop")).to_be_disabled()
    # The document holds what was stored, and is editable again.
    prompt = page.get_by_label("Prompt", exact=True)
    expect(prompt).to_have_value("Count" + stored["text"])
    expect(page.locator(".document[data-busy]")).to_have_count(0)
    expect(prompt).to_be_editable()

    prompt.fill("Again")
    page.get_by_role("button", name="Submit").click()
    finished = page.locator("#live-run .run-card:not(.live)")
    expect(finished).to_have_attribute("data-status", "completed")
    expect(finished.locator(".choice-text")).to_have_text("Hello, world")
    expect(page.locator(f"#run-history #run-{run_id}")).to_have_attribute("data-status", "stopped")
