"""The playground socket lives as long as its login: a logout or a password change ends it."""

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.test import Client

from playground.accounts.sockets import ACCESS_REVOKED_CLOSE_CODE
from playground.execution.consumers import LOGIN_ENDED, LOGIN_ENDED_DURING_RUN
from playground.runs.models import Run, RunStatus
from playground.sessions.models import PlaygroundSession
from playground.sharing.models import SessionShare, Visibility, new_token

from ..factories import PASSWORD
from ..fake_upstream import SSE, token_stream
from .helpers import collect_until_finished, frames_until_closed, receive_until, run_message

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "a-new-and-longer-passphrase-42"


async def assert_login_ended(socket):
    frames, code = await frames_until_closed(socket)
    assert frames[-1] == {"type": "access.revoked", "error": LOGIN_ENDED}
    assert code == ACCESS_REVOKED_CLOSE_CODE
    return frames


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
async def alice_browser(alice):
    return await database_sync_to_async(logged_in)(alice)


async def test_a_logout_closes_the_socket_opened_before_it(connect, alice_browser):
    socket = await connect(client=alice_browser)

    await database_sync_to_async(alice_browser.post)("/accounts/logout/")

    await assert_login_ended(socket)


async def test_a_password_change_elsewhere_closes_the_socket(connect, alice, alice_browser):
    socket = await connect(client=alice_browser)
    other_browser = await database_sync_to_async(logged_in)(alice)

    response = await database_sync_to_async(other_browser.post)(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    await assert_login_ended(socket)


async def test_a_password_changed_unannounced_starts_no_run(
    connect, alice, alice_browser, alice_provider, upstream
):
    socket = await connect(client=alice_browser)
    # A change no signal announces (a raw update): the check on the run message still holds.
    await database_sync_to_async(get_user_model().objects.filter(pk=alice.pk).update)(
        password=make_password(NEW_PASSWORD)
    )

    await socket.send_json_to(run_message(alice_provider, prompt="Hi"))

    await assert_login_ended(socket)
    assert upstream.completion_requests == []
    assert not await Run.objects.filter(owner=alice).aexists()


async def test_an_expired_session_starts_no_run(
    connect, alice, alice_browser, alice_provider, upstream
):
    socket = await connect(client=alice_browser)
    await database_sync_to_async(Session.objects.all().delete)()

    await socket.send_json_to(run_message(alice_provider, prompt="Hi"))

    await assert_login_ended(socket)
    assert upstream.completion_requests == []


async def test_an_ended_login_cannot_go_live(connect, alice, alice_browser):
    session = await PlaygroundSession.objects.acreate(owner=alice, prompt="Hi")
    await SessionShare.objects.acreate(
        session=session, visibility=Visibility.LINK, token=new_token()
    )
    socket = await connect(client=alice_browser)
    await database_sync_to_async(Session.objects.all().delete)()

    await socket.send_json_to({"action": "live.start", "session": session.pk})

    await assert_login_ended(socket)
    assert (await SessionShare.objects.aget(session=session)).live_since is None


async def test_a_run_going_when_the_login_ends_stops_and_says_why(
    connect, alice_browser, alice_provider, upstream
):
    upstream.script(SSE(token_stream([f" t{i}" for i in range(200)]), delay=0.05))
    socket = await connect(client=alice_browser)
    await socket.send_json_to(run_message(alice_provider, prompt="Go"))
    await receive_until(socket, "delta")

    await database_sync_to_async(alice_browser.post)("/accounts/logout/")

    frames = await assert_login_ended(socket)
    finished = next(f for f in frames if f["type"] == "run.finished")
    assert (finished["status"], finished["error"]) == ("stopped", LOGIN_ENDED_DURING_RUN)
    run = await Run.objects.aget(pk=finished["run"])
    assert run.status == RunStatus.STOPPED


async def test_logging_in_and_out_elsewhere_keeps_the_socket(
    connect, alice, alice_browser, alice_provider, upstream
):
    socket = await connect(client=alice_browser)
    other_browser = Client()
    await database_sync_to_async(other_browser.login)(username="alice", password=PASSWORD)
    await database_sync_to_async(other_browser.post)("/accounts/logout/")

    await socket.send_json_to(run_message(alice_provider, prompt="Hi"))

    frames = await collect_until_finished(socket)
    assert frames[-1]["status"] == "completed"
