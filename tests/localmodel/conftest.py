"""The real local model server, started once per test session with the project's own code."""

import socket

import pytest

from playground.localmodel.provider import sync_local_provider
from playground.localmodel.server import LocalModelServer, model_path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def local_model_server(tmp_path_factory):
    server = LocalModelServer(
        model_path(), _free_port(), tmp_path_factory.mktemp("localmodel") / "server.log"
    )
    server.start()
    try:
        server.wait_until_ready(timeout=180)
        yield server
    finally:
        server.stop()


@pytest.fixture
def local_provider(db, local_model_server):
    return sync_local_provider(local_model_server.base_url)


@pytest.fixture(autouse=True)
def _local_model_on(settings):
    settings.PLAYGROUND_LOCAL_MODEL = True
    return settings
