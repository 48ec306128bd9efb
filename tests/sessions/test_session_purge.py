"""POST /sessions/<id>/purge/: a session in the trash is deleted for good, with its runs."""

import pytest

from playground.runs.models import Run
from playground.sessions.models import PlaygroundSession

from ..factories import make_run

pytestmark = pytest.mark.django_db


def test_it_deletes_the_session_and_its_runs_for_good(alice, alice_client, trashed_session):
    make_run(alice, session=trashed_session)

    response = alice_client.post(f"/sessions/{trashed_session.pk}/purge/", follow=True)

    assert response.redirect_chain == [("/sessions/trash/", 302)]
    assert "“An old idea” deleted for good." in response.text
    assert not PlaygroundSession.objects.filter(pk=trashed_session.pk).exists()
    assert not Run.objects.exists()


def test_a_session_not_in_the_trash_is_404(alice_client, session):
    # Deleting for good goes through the trash first, so a slip can be undone.
    assert alice_client.post(f"/sessions/{session.pk}/purge/").status_code == 404
    assert PlaygroundSession.objects.filter(pk=session.pk).exists()


def test_outsider_gets_404(bob_client, trashed_session):
    response = bob_client.post(f"/sessions/{trashed_session.pk}/purge/")

    assert response.status_code == 404
    assert PlaygroundSession.objects.filter(pk=trashed_session.pk).exists()


def test_anonymous_users_are_sent_to_log_in(client, trashed_session):
    response = client.post(f"/sessions/{trashed_session.pk}/purge/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    assert PlaygroundSession.objects.filter(pk=trashed_session.pk).exists()


def test_it_rejects_get(alice_client, trashed_session):
    assert alice_client.get(f"/sessions/{trashed_session.pk}/purge/").status_code == 405
