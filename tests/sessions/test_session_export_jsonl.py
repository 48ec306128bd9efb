"""GET /sessions/<id>/export.jsonl: one request/response pair per line, for eval tools."""

import json

import pytest

from ..factories import make_run, make_session
from .helpers import SECRETS

pytestmark = pytest.mark.django_db


def test_it_writes_one_request_response_pair_per_run_oldest_first(
    alice, alice_client, session, provider
):
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    first = make_run(
        alice,
        provider,
        session=session,
        request_body={"model": "fake-model", "prompt": "One", "stream": True},
        usage=usage,
    )
    second = make_run(
        alice,
        provider,
        session=session,
        status="failed",
        error="Rate limited.",
        choices=[],
        request_body={"model": "fake-model", "prompt": "Two", "stream": False},
    )

    response = alice_client.get(f"/sessions/{session.pk}/export.jsonl")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/jsonl"
    assert response["Content-Disposition"] == (
        f'attachment; filename="session-{session.pk}-runs.jsonl"'
    )
    lines = response.content.decode().splitlines()
    assert [json.loads(line) for line in lines] == [
        {
            "request": first.request_body,
            "response": {"choices": first.choices, "usage": usage, "status": "completed"},
        },
        {
            "request": second.request_body,
            "response": {
                "choices": [],
                "usage": None,
                "status": "failed",
                "error": "Rate limited.",
            },
        },
    ]
    assert response.content.endswith(b"\n")


def test_a_prompt_with_newlines_stays_on_one_line(alice, alice_client, session, provider):
    make_run(
        alice,
        provider,
        session=session,
        request_body={"model": "fake-model", "prompt": "a\nb\r\nc", "stream": True},
    )

    lines = alice_client.get(f"/sessions/{session.pk}/export.jsonl").content.splitlines()

    assert len(lines) == 1
    assert json.loads(lines[0])["request"]["prompt"] == "a\nb\r\nc"


def test_a_session_without_runs_gives_an_empty_file(alice, alice_client):
    session = make_session(alice)

    assert alice_client.get(f"/sessions/{session.pk}/export.jsonl").content == b""


def test_it_holds_no_key_and_no_header_value(alice_client, session, run):
    content = alice_client.get(f"/sessions/{session.pk}/export.jsonl").content.decode()

    assert not [secret for secret in SECRETS if secret in content]


def test_a_session_in_the_trash_is_404(alice_client, trashed_session):
    assert alice_client.get(f"/sessions/{trashed_session.pk}/export.jsonl").status_code == 404


def test_outsider_gets_404(bob_client, session, run):
    assert bob_client.get(f"/sessions/{session.pk}/export.jsonl").status_code == 404


def test_anonymous_users_are_sent_to_log_in(client, session):
    response = client.get(f"/sessions/{session.pk}/export.jsonl")

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next=/sessions/{session.pk}/export.jsonl"
