"""A client of a live daphne server other than the page (tests/support/live_daphne.py): its
socket, its stored runs, and waiting for a condition to come true. The fault tests use it."""

import json
import time

from websockets.sync.client import connect


def wait_until(condition, timeout=30, what="the condition"):
    """Polls condition() until it returns something truthy, and returns that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    raise AssertionError(f"Gave up waiting for {what} after {timeout}s")


def stored_run(server, run_id) -> dict:
    """The run's status, error and first choice's text, as the server's database has them."""
    return server.django(
        """
        from playground.runs.models import Run
        run = Run.objects.get(pk=params["run"])
        text = run.choices[0]["text"] if run.choices else ""
        result = {"status": run.status, "error": run.error, "text": text}
        """,
        run=run_id,
    )


def wait_for_stored_run(server, run_id, condition, what="the stored run") -> dict:
    def check():
        run = stored_run(server, run_id)
        return run if condition(run) else None

    return wait_until(check, what=what)


def socket_url(server) -> str:
    return server.url.replace("http://", "ws://") + "/ws/playground/"


def cookie_header(server, user) -> str:
    cookie = server.session_cookie(user)
    return f"{cookie['name']}={cookie['value']}"


def open_socket(server, user):
    """The playground socket, as a logged-in client other than the page would open it."""
    return connect(
        socket_url(server),
        additional_headers={"Origin": server.url, "Cookie": cookie_header(server, user)},
        open_timeout=10,
        # A killed server never answers the closing handshake: do not wait long for it.
        close_timeout=1,
    )


def receive_until(socket, frame_type) -> list[dict]:
    frames = []
    while True:
        frames.append(json.loads(socket.recv(timeout=10)))
        if frames[-1]["type"] == frame_type:
            return frames


def run_message(provider: int, prompt: str, **fields) -> str:
    message = {"action": "run", "provider": provider, "model": "fake-model", "prompt": prompt}
    return json.dumps({"stream": "on", **message, **fields})
