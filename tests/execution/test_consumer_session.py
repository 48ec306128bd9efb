"""A run message names its session: the run is stored there, and only the owner may name it."""

import re

import pytest
from asgiref.sync import sync_to_async

from playground.runs.models import Run
from playground.sessions.models import PlaygroundSession

from ..factories import make_session
from .helpers import page_message, receive_until, run_and_collect

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def alice_session(alice, alice_provider):
    return make_session(alice, alice_provider)


@pytest.fixture
def bob_session(bob):
    return make_session(bob, prompt="Bob's own prompt")


async def test_the_run_is_stored_in_the_named_session_with_its_form(
    alice_session, alice_provider, upstream, alice_socket
):
    message = page_message(
        alice_provider, session=str(alice_session.pk), prompt="Tell me", temperature="0.4"
    )

    frames = await run_and_collect(alice_socket, message)

    assert frames[0]["type"] == "run.started"
    assert frames[0]["session"] == alice_session.pk
    run = await Run.objects.aget(pk=frames[-1]["run"])
    assert run.session_id == alice_session.pk
    assert run.form_state["prompt"] == "Tell me"
    assert run.form_state["temperature"] == "0.4"
    session = await PlaygroundSession.objects.aget(pk=alice_session.pk)
    # The session's document is the prompt with the completion written into it (the editor).
    assert session.prompt == "Tell me" + run.choices[0]["text"]
    assert session.node == f"{run.pk}:0"
    assert session.parameters["temperature"] == "0.4"
    assert session.title == session.prompt
    assert session.last_run_at is not None


async def test_a_message_without_session_starts_one_so_the_run_is_kept(
    alice, alice_provider, upstream, alice_socket
):
    frames = await run_and_collect(alice_socket, page_message(alice_provider, prompt="Hi"))

    run = await Run.objects.select_related("session").aget(pk=frames[-1]["run"])
    assert run.session is not None
    assert run.session.owner_id == alice.pk


async def test_an_invalid_form_is_still_saved_to_the_session(
    alice_session, alice_provider, upstream, alice_socket
):
    message = page_message(alice_provider, session=str(alice_session.pk), temperature="7")

    frames = await run_and_collect(alice_socket, message)

    assert frames[-1]["type"] == "form.invalid"
    session = await PlaygroundSession.objects.aget(pk=alice_session.pk)
    assert session.parameters["temperature"] == "7"
    assert not await Run.objects.aexists()


async def test_the_finished_card_shows_what_changed_since_the_run_before(
    alice_session, alice_provider, upstream, alice_socket
):
    for temperature in ("0.2", "0.9"):
        message = page_message(
            alice_provider, session=str(alice_session.pk), temperature=temperature
        )
        frames = await run_and_collect(alice_socket, message)

    assert re.search(r"<code>temperature</code>\s*0\.2 → 0\.9", frames[-1]["html"])


async def test_outsider_naming_a_session_gets_an_error_and_nothing_runs(
    bob_session, alice_provider, upstream, alice_socket
):
    message = page_message(alice_provider, session=str(bob_session.pk), prompt="Alice's")

    await alice_socket.send_json_to(message)
    frame = await alice_socket.receive_json_from(timeout=5)

    assert frame == {
        "type": "error",
        "error": "No such session: it was deleted, or it is not yours.",
    }
    assert not await Run.objects.aexists()
    assert upstream.completion_requests == []
    session = await PlaygroundSession.objects.aget(pk=bob_session.pk)
    assert session.prompt == "Bob's own prompt"
    assert await PlaygroundSession.objects.acount() == 1


async def test_a_session_in_the_trash_cannot_be_run(
    alice_session, alice_provider, upstream, alice_socket
):
    await sync_to_async(alice_session.move_to_trash)()

    await alice_socket.send_json_to(page_message(alice_provider, session=str(alice_session.pk)))
    frame = await alice_socket.receive_json_from(timeout=5)

    assert frame["type"] == "error"
    assert not await Run.objects.aexists()
    assert upstream.completion_requests == []


@pytest.mark.parametrize("session", ["abc", "-1", "1.5", True, {"pk": 1}])
async def test_a_session_that_is_not_an_id_gets_an_error(
    alice_provider, upstream, alice_socket, session
):
    await alice_socket.send_json_to(page_message(alice_provider, session=session))
    frame = await alice_socket.receive_json_from(timeout=5)

    assert frame["type"] == "error"
    assert not await Run.objects.aexists()


async def test_a_nul_character_gets_an_error_and_nothing_is_saved(
    alice_session, alice_provider, upstream, alice_socket
):
    message = page_message(alice_provider, session=str(alice_session.pk), suffix="a\x00b")

    await alice_socket.send_json_to(message)
    frame = await alice_socket.receive_json_from(timeout=5)

    assert frame == {"type": "error", "error": "suffix cannot hold a NUL character."}
    assert not await Run.objects.aexists()
    assert upstream.completion_requests == []
    # The socket is still usable.
    frames = await run_and_collect(
        alice_socket, page_message(alice_provider, session=str(alice_session.pk))
    )
    assert frames[-1]["type"] == "run.finished"


async def test_the_started_frame_names_the_session(
    alice_session, alice_provider, upstream, alice_socket
):
    await alice_socket.send_json_to(page_message(alice_provider, session=alice_session.pk))

    started = (await receive_until(alice_socket, "run.started"))[-1]

    assert started["session"] == alice_session.pk
    await receive_until(alice_socket, "run.finished")
