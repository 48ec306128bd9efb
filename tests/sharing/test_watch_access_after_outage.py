"""A share changed while Redis was down still cuts off the viewers it should, once it is back.

The re-check sent at the change is lost with Redis down; every socket re-checks its access
before its first message after an outage instead (accounts/sockets.py).
"""

import asyncio
import shutil
import subprocess

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from playground.accounts.sockets import ACCESS_REVOKED_CLOSE_CODE
from playground.sharing.access import ACCESS_ENDED

from ..execution.helpers import frames_until_closed, receive_until, run_message
from ..support.live_daphne import free_port
from .test_watch_access import watching
from .test_watch_consumer import go_live, point_provider_at

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server"),
    pytest.mark.subprocess,
]


class OwnRedis:
    """A redis-server of the test's own. stop() saves its data, as a restart keeps it."""

    def __init__(self, directory):
        self.port = free_port()
        self.directory = directory
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
        )
        self._cli("--raw", "ping", retries=100)

    def stop(self) -> None:
        self._cli("shutdown", "save")
        self.process.wait(10)

    def _cli(self, *args, retries=1) -> None:
        for _ in range(retries):
            done = subprocess.run(
                ["redis-cli", "-p", str(self.port), *args], capture_output=True, text=True
            )
            if done.returncode == 0 and "Could not connect" not in done.stdout + done.stderr:
                return
            subprocess.run(["sleep", "0.05"])
        raise RuntimeError(f"redis-cli {' '.join(args)} failed: {done.stdout}{done.stderr}")


@pytest.fixture
def own_redis(tmp_path, settings):
    redis = OwnRedis(tmp_path)
    redis.start()
    settings.REDIS_URL = redis.url
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "playground.redis_outage.OutageTolerantRedisChannelLayer",
            "CONFIG": {"hosts": [{"address": redis.url, "socket_timeout": 15}]},
        }
    }
    yield redis
    if redis.process.poll() is None:
        redis.process.kill()
        redis.process.wait()


async def until(condition, timeout=20):
    """Waits for condition() to hold (without asserting how long that took)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "the condition never held"
        await asyncio.sleep(0.05)


async def test_a_link_replaced_while_redis_was_down_cuts_off_its_viewers(
    connect, alice, alice_client, bob, link_share, upstream, own_redis
):
    session = link_share.session
    provider = await point_provider_at(session, upstream)
    presenter, _ = await go_live(connect, alice, session)
    viewer = await watching(connect, bob, f"/ws/watch/{link_share.token}/")
    layer = get_channel_layer()

    await asyncio.to_thread(own_redis.stop)
    await until(lambda: layer.unreachable)
    await database_sync_to_async(alice_client.post)(f"/sessions/{session.pk}/share/regenerate/")
    await asyncio.to_thread(own_redis.start)
    await presenter.send_json_to(run_message(provider, session=session.pk, prompt="Rain"))
    await receive_until(presenter, "run.finished")

    frames, code = await frames_until_closed(viewer, timeout=10)
    assert frames == [{"type": "access.revoked", "error": ACCESS_ENDED}]
    assert code == ACCESS_REVOKED_CLOSE_CODE
