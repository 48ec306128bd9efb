"""POST /sessions/<id>/duplicate/: a copy with the same prompt and parameters, and no runs."""

import pytest

from playground.sessions.models import PlaygroundSession

pytestmark = pytest.mark.django_db


def test_it_copies_the_prompt_and_parameters_without_the_runs(alice, alice_client, session, run):
    response = alice_client.post(f"/sessions/{session.pk}/duplicate/")

    copy = PlaygroundSession.objects.exclude(pk=session.pk).get()
    assert response.status_code == 302
    assert response.url == f"/sessions/{copy.pk}/"
    assert copy.owner == alice
    assert copy.title == "Copy of The capital of France is"
    assert copy.prompt == session.prompt
    assert copy.parameters == session.parameters
    assert copy.provider == session.provider
    assert copy.model == session.model
    assert copy.runs.count() == 0
    assert copy.last_run_at is None
    assert session.runs.count() == 1


def test_the_copy_opens_with_a_message(alice_client, session):
    response = alice_client.post(f"/sessions/{session.pk}/duplicate/", follow=True)

    assert "Duplicated as “Copy of The capital of France is”." in response.text


def test_editing_the_copy_leaves_the_original_alone(alice_client, session):
    alice_client.post(f"/sessions/{session.pk}/duplicate/")
    copy = PlaygroundSession.objects.exclude(pk=session.pk).get()

    alice_client.post(f"/sessions/{copy.pk}/autosave/", {"prompt": "Changed", "temperature": "2"})

    session.refresh_from_db()
    assert session.prompt == "The capital of France is"
    assert session.parameters["temperature"] == "0.7"


def test_a_session_in_the_trash_is_404(alice_client, trashed_session):
    assert alice_client.post(f"/sessions/{trashed_session.pk}/duplicate/").status_code == 404


def test_outsider_gets_404(bob, bob_client, session):
    response = bob_client.post(f"/sessions/{session.pk}/duplicate/")

    assert response.status_code == 404
    assert not PlaygroundSession.objects.filter(owner=bob).exists()


def test_anonymous_users_are_sent_to_log_in(client, session):
    response = client.post(f"/sessions/{session.pk}/duplicate/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    assert PlaygroundSession.objects.count() == 1


def test_it_rejects_get(alice_client, session):
    assert alice_client.get(f"/sessions/{session.pk}/duplicate/").status_code == 405
