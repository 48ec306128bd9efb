"""POST /sessions/<id>/restore/: a session comes back from the trash, runs and all."""

import pytest

pytestmark = pytest.mark.django_db


def test_it_restores_the_session_and_opens_it(alice_client, trashed_session):
    response = alice_client.post(f"/sessions/{trashed_session.pk}/restore/", follow=True)

    assert response.redirect_chain == [(f"/sessions/{trashed_session.pk}/", 302)]
    assert "“An old idea” restored." in response.text
    trashed_session.refresh_from_db()
    assert trashed_session.deleted_at is None


def test_the_restored_session_is_listed_again(alice_client, trashed_session):
    alice_client.post(f"/sessions/{trashed_session.pk}/restore/")

    assert "An old idea" in alice_client.get("/sessions/").text
    assert "An old idea" not in alice_client.get("/sessions/trash/").text


def test_a_session_not_in_the_trash_is_404(alice_client, session):
    assert alice_client.post(f"/sessions/{session.pk}/restore/").status_code == 404


def test_outsider_gets_404(bob_client, trashed_session):
    response = bob_client.post(f"/sessions/{trashed_session.pk}/restore/")

    assert response.status_code == 404
    trashed_session.refresh_from_db()
    assert trashed_session.deleted_at is not None


def test_anonymous_users_are_sent_to_log_in(client, trashed_session):
    response = client.post(f"/sessions/{trashed_session.pk}/restore/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    trashed_session.refresh_from_db()
    assert trashed_session.deleted_at is not None


def test_it_rejects_get(alice_client, trashed_session):
    assert alice_client.get(f"/sessions/{trashed_session.pk}/restore/").status_code == 405
