"""POST /sessions/new/: "New session" always starts a fresh one."""

import pytest

from playground.sessions.models import PlaygroundSession

from ..factories import make_session

pytestmark = pytest.mark.django_db


def test_it_starts_a_new_session_even_next_to_a_pristine_one(alice, alice_client, provider):
    pristine = make_session(alice)

    response = alice_client.post("/sessions/new/")

    new = PlaygroundSession.objects.exclude(pk=pristine.pk).get(owner=alice)
    assert response.status_code == 302
    assert response.url == f"/sessions/{new.pk}/"
    assert new.provider == provider
    assert new.prompt == ""


def test_it_rejects_get(alice_client):
    assert alice_client.get("/sessions/new/").status_code == 405
    assert not PlaygroundSession.objects.exists()


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.post("/sessions/new/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/sessions/new/"
    assert not PlaygroundSession.objects.exists()
