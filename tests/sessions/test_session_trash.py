"""GET /sessions/trash/: the sessions a user deleted, to restore or delete for good."""

import pytest

from ..factories import make_session

pytestmark = pytest.mark.django_db


def test_it_lists_the_deleted_sessions_with_restore_and_delete_for_good(
    alice_client, trashed_session
):
    response = alice_client.get("/sessions/trash/")

    assert response.status_code == 200
    assert "An old idea" in response.text
    assert f'action="/sessions/{trashed_session.pk}/restore/"' in response.text
    assert f'action="/sessions/{trashed_session.pk}/purge/"' in response.text
    assert "data-confirm=" in response.text
    assert "/static/common.js" in response.text


def test_it_leaves_out_sessions_not_deleted(alice_client, session):
    content = alice_client.get("/sessions/trash/").text

    assert "The capital of France is" not in content
    assert "The trash is empty." in content


def test_it_never_lists_another_users_deleted_sessions(alice_client, bob):
    make_session(bob, prompt="Bob's deleted plan").move_to_trash()

    assert "Bob&#x27;s deleted plan" not in alice_client.get("/sessions/trash/").text


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get("/sessions/trash/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/sessions/trash/"
