"""Static files, served in-process by the ASGI app, carry the pages' security headers."""

import pytest
from asgiref.testing import ApplicationCommunicator

from playground.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


async def get(path: str) -> tuple[int, dict[str, str]]:
    """The status and headers the real ASGI application answers a GET with."""
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1")],
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
    }
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await communicator.receive_output(10)
    while (await communicator.receive_output(10)).get("more_body"):
        pass
    await communicator.wait(10)
    return start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}


@pytest.mark.parametrize("debug", [True, False], ids=["development", "production"])
async def test_a_script_is_sent_with_nosniff(settings, debug):
    settings.DEBUG = debug
    settings.SECURE_SSL_REDIRECT = False

    status, headers = await get("/static/playground.js")

    assert status == 200
    assert headers["content-type"].startswith("text/javascript")
    assert headers["x-content-type-options"] == "nosniff"
