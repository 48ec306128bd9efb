"""GET /sessions/<id>/export.jsonl: one line per node of the session's tree, for eval tools."""

import json

import pytest
from django.utils import timezone

from ..factories import make_run, make_session
from .helpers import SECRETS

pytestmark = pytest.mark.django_db


def test_it_writes_one_line_per_run_and_choice_oldest_first(alice, alice_client, session, provider):
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    logprobs = {"tokens": ["A"], "token_logprobs": [-0.5], "top_logprobs": None}
    first = make_run(
        alice,
        provider,
        session=session,
        request_body={"model": "fake-model", "prompt": "One", "n": 2, "seed": 7},
        choices=[
            {"index": 0, "text": "A", "logprobs": logprobs, "finish_reason": "length"},
            {"index": 1, "text": "B", "logprobs": None, "finish_reason": "stop"},
        ],
        usage=usage,
    )
    second = make_run(
        alice,
        provider,
        session=session,
        status="failed",
        error="Rate limited.",
        choices=[],
        request_body={"model": "fake-model", "prompt": "OneB", "stream": False},
        parent=first,
        parent_choice=1,
        branch_token=0,
        forced_text="B",
    )

    response = alice_client.get(f"/sessions/{session.pk}/export.jsonl")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/jsonl"
    assert response["Content-Disposition"] == (
        f'attachment; filename="session-{session.pk}-runs.jsonl"'
    )
    lines = response.content.decode().splitlines()
    node = {
        "parent": None,
        "branch_token": None,
        "forced_text": "",
        "model": "fake-model",
        "parameters": first.request_body,
        "seed": 7,
        "usage": usage,
        "status": "completed",
        "pruned": False,
    }
    assert [json.loads(line) for line in lines] == [
        {
            **node,
            "id": f"{first.pk}:0",
            "text": "A",
            "finish_reason": "length",
            "logprobs": logprobs,
        },
        {**node, "id": f"{first.pk}:1", "text": "B", "finish_reason": "stop", "logprobs": None},
        # A run that failed before any choice still has its line, for its error.
        {
            "id": f"{second.pk}:0",
            "parent": f"{first.pk}:1",
            "branch_token": 0,
            "forced_text": "B",
            "model": "fake-model",
            "parameters": second.request_body,
            "seed": None,
            "usage": None,
            "text": "",
            "finish_reason": None,
            "logprobs": None,
            "status": "failed",
            "error": "Rate limited.",
            "pruned": False,
        },
    ]
    assert response.content.endswith(b"\n")


def test_a_pruned_branch_is_marked_pruned(alice, alice_client, session, provider):
    root = make_run(alice, provider, session=session)
    pruned = make_run(
        alice, provider, session=session, parent=root, parent_choice=0, pruned_at=timezone.now()
    )
    under = make_run(alice, provider, session=session, parent=pruned, parent_choice=0)

    lines = alice_client.get(f"/sessions/{session.pk}/export.jsonl").content.splitlines()

    marks = {json.loads(line)["id"]: json.loads(line)["pruned"] for line in lines}
    assert marks == {f"{root.pk}:0": False, f"{pruned.pk}:0": True, f"{under.pk}:0": True}


def test_a_prompt_with_newlines_stays_on_one_line(alice, alice_client, session, provider):
    make_run(
        alice,
        provider,
        session=session,
        request_body={"model": "fake-model", "prompt": "a\nb\r\nc", "stream": True},
    )

    lines = alice_client.get(f"/sessions/{session.pk}/export.jsonl").content.splitlines()

    assert len(lines) == 1
    assert json.loads(lines[0])["parameters"]["prompt"] == "a\nb\r\nc"


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
