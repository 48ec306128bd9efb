"""GET /runs/<id>/: one stored run's card, for its owner only."""

import pytest

from playground.runs.models import RunStatus

from ..factories import make_run, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(alice):
    return make_run(
        alice,
        status=RunStatus.STOPPED,
        error="Stopped before the provider finished.",
        choices=[
            {"index": 0, "text": "partial <b>text</b>", "logprobs": None, "finish_reason": None}
        ],
    )


def test_the_owner_sees_the_stored_run(alice_client, run):
    response = alice_client.get(f"/runs/{run.pk}/")

    assert response.status_code == 200
    content = response.content.decode()
    assert f'data-run="{run.pk}"' in content
    assert 'data-status="stopped"' in content
    assert "partial &lt;b&gt;text&lt;/b&gt;" in content
    assert "Stopped before the provider finished." in content


def test_outsider_gets_404(client, bob, run):
    client.force_login(bob)

    response = client.get(f"/runs/{run.pk}/")

    assert response.status_code == 404


def test_a_missing_run_is_404(alice_client):
    assert alice_client.get("/runs/999999/").status_code == 404


def test_anonymous_users_are_sent_to_log_in(client, run):
    response = client.get(f"/runs/{run.pk}/")

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next=/runs/{run.pk}/"


def test_it_rejects_post(alice_client, run):
    assert alice_client.post(f"/runs/{run.pk}/").status_code == 405


def test_a_run_of_a_session_in_the_trash_is_404(alice, alice_client):
    session = make_session(alice, prompt="Gone")
    run = make_run(alice, session=session)
    session.move_to_trash()

    assert alice_client.get(f"/runs/{run.pk}/").status_code == 404
