"""GET /sessions/<id>/export/: the session as a JSON file, without any key or provider secret."""

import json

import pytest

from playground.sessions.transfer import FORMAT, VERSION

from ..factories import make_run
from .helpers import SECRETS

pytestmark = pytest.mark.django_db


def test_it_downloads_the_session_as_json(alice_client, session, run):
    response = alice_client.get(f"/sessions/{session.pk}/export/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="session-{session.pk}.json"'
    data = json.loads(response.content)
    assert data["format"] == FORMAT
    assert data["version"] == VERSION
    assert data["exported_at"]
    assert data["session"] == {
        "title": "The capital of France is",
        "title_is_custom": False,
        "provider_name": "Alice's provider",
        "model": "fake-model",
        "prompt": "The capital of France is",
        "parameters": session.parameters,
        "looks": [],
        "node": None,
    }


def test_it_holds_the_runs_oldest_first_with_their_results(alice, alice_client, session, provider):
    first = make_run(
        alice,
        provider,
        session=session,
        request_body={"model": "fake-model", "prompt": "A", "stream": False, "temperature": 0.2},
        usage={"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
        total_ms=12.5,
        form_state={"prompt": "A", "temperature": "0.2"},
    )
    make_run(alice, provider, session=session, status="failed", error="Upstream said no.")

    runs = alice_client.get(f"/sessions/{session.pk}/export/").json()["runs"]

    assert [run["status"] for run in runs] == ["completed", "failed"]
    assert runs[0]["request_body"] == first.request_body
    assert runs[0]["choices"] == first.choices
    assert runs[0]["usage"] == first.usage
    assert runs[0]["total_ms"] == 12.5
    assert runs[0]["form_state"] == {"prompt": "A", "temperature": "0.2"}
    assert runs[0]["provider_name"] == "Alice's provider"
    assert runs[0]["created_at"] == first.created_at.isoformat()
    assert runs[1]["error"] == "Upstream said no."


def test_it_holds_no_key_and_no_header_value(alice_client, session, run, provider):
    response = alice_client.get(f"/sessions/{session.pk}/export/")

    assert provider.request_headers()  # the provider does have secrets to leak
    content = response.content.decode()
    assert not [secret for secret in SECRETS if secret in content]
    assert "api_key" not in content
    assert "extra_headers" not in content


def test_a_session_in_the_trash_is_404(alice_client, trashed_session):
    assert alice_client.get(f"/sessions/{trashed_session.pk}/export/").status_code == 404


def test_outsider_gets_404(bob_client, session, run):
    assert bob_client.get(f"/sessions/{session.pk}/export/").status_code == 404


def test_anonymous_users_are_sent_to_log_in(client, session):
    response = client.get(f"/sessions/{session.pk}/export/")

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next=/sessions/{session.pk}/export/"


def test_it_rejects_post(alice_client, session):
    assert alice_client.post(f"/sessions/{session.pk}/export/").status_code == 405
