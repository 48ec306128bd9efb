"""GET /: opening the playground goes back to the session edited last, or starts one."""

import datetime

import pytest
from django.utils import timezone

from playground.sessions.models import PlaygroundSession

from ..factories import make_session

pytestmark = pytest.mark.django_db


def edited(session, minutes_ago: int) -> None:
    """Sets when the session was last edited (updated_at follows every save)."""
    when = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    PlaygroundSession.objects.filter(pk=session.pk).update(updated_at=when)


def test_it_starts_a_new_session_on_the_default_provider(alice, alice_client, provider):
    response = alice_client.get("/")

    session = PlaygroundSession.objects.get(owner=alice)
    assert response.status_code == 302
    assert response.url == f"/sessions/{session.pk}/"
    assert session.provider == provider
    assert session.model == provider.default_model


def test_it_goes_back_to_the_session_edited_last(alice, alice_client):
    older = make_session(alice, prompt="An older idea")
    last = make_session(alice, prompt="What I was writing")
    edited(older, minutes_ago=30)
    edited(last, minutes_ago=5)

    response = alice_client.get("/")

    assert response.url == f"/sessions/{last.pk}/"
    assert PlaygroundSession.objects.filter(owner=alice).count() == 2


def test_an_older_session_edited_again_is_the_one_it_goes_back_to(alice, alice_client, provider):
    older = make_session(alice, prompt="An older idea")
    newer = make_session(alice, prompt="A newer idea")
    edited(newer, minutes_ago=5)
    alice_client.post(
        f"/sessions/{older.pk}/autosave/", {"provider": provider.pk, "prompt": "Back to it"}
    )

    response = alice_client.get("/")

    assert response.url == f"/sessions/{older.pk}/"


def test_it_goes_back_to_a_session_with_parameters_set(alice, alice_client):
    used = make_session(alice, parameters={"temperature": "0.1"})

    response = alice_client.get("/")

    assert response.url == f"/sessions/{used.pk}/"
    assert PlaygroundSession.objects.filter(owner=alice).count() == 1


def test_it_reuses_the_latest_session_when_nothing_was_done_in_it(alice, alice_client):
    pristine = make_session(alice)

    response = alice_client.get("/")

    assert response.url == f"/sessions/{pristine.pk}/"
    assert PlaygroundSession.objects.filter(owner=alice).count() == 1


def test_it_never_goes_to_another_users_session(alice, bob, alice_client):
    bobs = make_session(bob, prompt="Bob's idea")

    response = alice_client.get("/")

    assert response.url != f"/sessions/{bobs.pk}/"
    assert PlaygroundSession.objects.filter(owner=alice).count() == 1


def test_it_never_goes_to_a_session_in_the_trash(alice, alice_client):
    kept = make_session(alice, prompt="Kept")
    trashed = make_session(alice, prompt="Thrown away")
    edited(kept, minutes_ago=30)
    trashed.move_to_trash()

    response = alice_client.get("/")

    assert response.url == f"/sessions/{kept.pk}/"


def test_it_starts_a_new_session_when_all_are_in_the_trash(alice, alice_client):
    trashed = make_session(alice, prompt="Thrown away")
    trashed.move_to_trash()

    response = alice_client.get("/")

    new = PlaygroundSession.objects.owned_by(alice).get()
    assert response.url == f"/sessions/{new.pk}/"
    assert new.prompt == ""


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/"
    assert not PlaygroundSession.objects.exists()
