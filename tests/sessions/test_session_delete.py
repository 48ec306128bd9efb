"""POST /sessions/<id>/delete/: the session goes to the trash, with an Undo in the message."""

import re

import pytest

from playground.sessions.models import PlaygroundSession

pytestmark = pytest.mark.django_db


def test_it_moves_the_session_to_the_trash(alice_client, session, run):
    response = alice_client.post(f"/sessions/{session.pk}/delete/")

    assert response.status_code == 302
    assert response.url == "/sessions/"
    session.refresh_from_db()
    assert session.deleted_at is not None
    # Nothing is lost until the trash is emptied.
    assert session.runs.count() == 1


def test_the_message_offers_undo(alice_client, session):
    response = alice_client.post(f"/sessions/{session.pk}/delete/", follow=True)

    assert "“The capital of France is” moved to the trash." in response.text
    undo = re.search(
        rf'<form method="post"\s+action="/sessions/{session.pk}/restore/".*?</form>',
        response.text,
        re.S,
    )
    assert undo is not None
    assert ">Undo</button>" in undo.group(0)


def test_undo_brings_the_session_back(alice_client, session):
    alice_client.post(f"/sessions/{session.pk}/delete/")

    response = alice_client.post(f"/sessions/{session.pk}/restore/")

    assert response.url == f"/sessions/{session.pk}/"
    session.refresh_from_db()
    assert session.deleted_at is None


def test_the_delete_buttons_ask_for_confirmation(alice_client, session):
    page = alice_client.get(f"/sessions/{session.pk}/").text
    listing = alice_client.get("/sessions/").text

    for content in (page, listing):
        form = re.search(rf'<form[^>]*action="/sessions/{session.pk}/delete/"[^>]*>', content)
        assert "data-confirm=" in form.group(0)
        # The page that holds the button loads the script that asks.
        assert "/static/common.js" in content


def test_a_session_already_in_the_trash_is_404(alice_client, trashed_session):
    assert alice_client.post(f"/sessions/{trashed_session.pk}/delete/").status_code == 404


def test_outsider_gets_404(bob_client, session):
    response = bob_client.post(f"/sessions/{session.pk}/delete/")

    assert response.status_code == 404
    assert PlaygroundSession.objects.owned_by(session.owner).get() == session


def test_anonymous_users_are_sent_to_log_in(client, session):
    response = client.post(f"/sessions/{session.pk}/delete/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    session.refresh_from_db()
    assert session.deleted_at is None


def test_it_rejects_get(alice_client, session):
    assert alice_client.get(f"/sessions/{session.pk}/delete/").status_code == 405
