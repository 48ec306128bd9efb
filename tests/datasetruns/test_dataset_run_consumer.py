"""The dataset run page's socket: the owner's only; progress from the group and the database."""

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from playground.datasetruns import claims, lifecycle
from playground.datasetruns.progress import group_name, progress_now
from playground.datasets.models import ResultStatus

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("tasks_wait")]


@pytest.fixture
def queued_run(alice, capitals_session, make_capitals):
    return lifecycle.start(alice, make_capitals(4), capitals_session).run


async def test_the_owner_hears_the_progress_on_connecting(alice, connect, queued_run):
    socket = await connect(alice, path=f"/ws/dataset-runs/{queued_run.pk}/")

    html = await socket.receive_from(timeout=5)

    assert html.startswith('<div id="run-progress"')
    assert 'data-status="queued"' in html
    assert "4 remaining" in html


async def test_outsider_is_refused(bob, connect, queued_run):
    assert await connect(bob, path=f"/ws/dataset-runs/{queued_run.pk}/") is None


async def test_anonymous_is_refused(connect, queued_run):
    assert await connect(None, path=f"/ws/dataset-runs/{queued_run.pk}/") is None


async def test_progress_pushed_to_the_group_reaches_the_page(alice, connect, queued_run):
    socket = await connect(alice, path=f"/ws/dataset-runs/{queued_run.pk}/")
    await socket.receive_from(timeout=5)

    progress = await database_sync_to_async(progress_now)(queued_run.pk)
    progress.done, progress.pending = 3, 1
    await get_channel_layer().group_send(group_name(queued_run.pk), progress.as_message())

    html = await socket.receive_from(timeout=5)
    assert 'data-done="3"' in html
    assert "1 remaining" in html


async def test_a_stop_reaches_the_page_at_once(alice, connect, queued_run):
    socket = await connect(alice, path=f"/ws/dataset-runs/{queued_run.pk}/")
    await socket.receive_from(timeout=5)

    await database_sync_to_async(lifecycle.stop)(queued_run)

    html = await socket.receive_from(timeout=5)
    assert 'data-status="stopped"' in html
    assert "4 cancelled" in html


@pytest.mark.skipif(
    not settings.CHANNEL_LAYERS["default"]["BACKEND"].endswith("InMemoryChannelLayer"),
    reason="with Redis the workers push the progress",
)
async def test_with_the_in_memory_layer_the_page_reads_progress_from_the_database(
    alice, connect, queued_run
):
    socket = await connect(alice, path=f"/ws/dataset-runs/{queued_run.pk}/")
    await socket.receive_from(timeout=5)

    # A worker in another process writes a result, and cannot reach this process's layer.
    def one_row_done():
        [held] = claims.claim(queued_run.pk, "elsewhere", 1)
        claims.write(held.pk, "elsewhere", status=ResultStatus.DONE)

    await database_sync_to_async(one_row_done)()

    html = await socket.receive_from(timeout=5)
    assert 'data-done="1"' in html
    assert 'data-status="running"' in html
