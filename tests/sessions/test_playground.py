"""GET /: opening the playground starts a new session, or reuses an untouched one."""

import pytest

from playground.sessions.models import PlaygroundSession

from ..factories import make_session

pytestmark = pytest.mark.django_db


def test_it_starts_a_new_session_on_the_default_provider(alice, alice_client, provider):
    response = alice_client.get("/")

    session = PlaygroundSession.objects.get(owner=alice)
    assert response.status_code == 302
    assert response.url == f"/sessions/{session.pk}/"
    assert session.provider == provider
    assert session.model == provider.default_model


def test_it_reuses_the_latest_session_when_nothing_was_done_in_it(alice, alice_client):
    pristine = make_session(alice)

    response = alice_client.get("/")

    assert response.url == f"/sessions/{pristine.pk}/"
    assert PlaygroundSession.objects.filter(owner=alice).count() == 1


def test_it_starts_a_new_session_when_the_latest_has_a_prompt(alice, alice_client):
    used = make_session(alice, prompt="Something")

    response = alice_client.get("/")

    new = PlaygroundSession.objects.exclude(pk=used.pk).get(owner=alice)
    assert response.url == f"/sessions/{new.pk}/"


def test_it_starts_a_new_session_when_the_latest_has_parameters_set(alice, alice_client):
    used = make_session(alice, parameters={"temperature": "0.1"})

    response = alice_client.get("/")

    assert response.url != f"/sessions/{used.pk}/"
    assert PlaygroundSession.objects.filter(owner=alice).count() == 2


def test_it_never_reuses_another_users_session(alice, bob, alice_client):
    bobs = make_session(bob)

    response = alice_client.get("/")

    assert response.url != f"/sessions/{bobs.pk}/"
    assert PlaygroundSession.objects.filter(owner=alice).count() == 1


def test_it_never_reuses_a_session_in_the_trash(alice, alice_client):
    trashed = make_session(alice)
    trashed.move_to_trash()

    response = alice_client.get("/")

    assert response.url != f"/sessions/{trashed.pk}/"


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/"
    assert not PlaygroundSession.objects.exists()
