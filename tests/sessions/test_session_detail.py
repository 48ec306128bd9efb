"""GET /sessions/<id>/: the playground on one saved session, with its runs newest first."""

import re

import pytest

from ..factories import make_run, make_session
from .helpers import SAVED_PARAMETERS, SECRETS, form_data

pytestmark = pytest.mark.django_db


def card_order(content: str) -> list[int]:
    return [
        int(pk) for pk in re.findall(r'<article class="run-card[^"]*"\s+id="run-(\d+)"', content)
    ]


def test_it_shows_the_saved_prompt_and_parameters(alice_client, session, provider):
    content = alice_client.get(f"/sessions/{session.pk}/").content.decode()

    data = form_data(content)
    assert data["prompt"] == "The capital of France is"
    assert data["provider"] == str(provider.pk)
    assert data["model"] == "fake-model"
    assert data["temperature"] == "0.7"
    assert data["max_tokens"] == "32"
    assert data["stream"] == "on"
    assert data.getlist("stop") == ["\\n", "", "", ""]
    assert data["session"] == str(session.pk)


def test_it_shows_the_title(alice_client, session):
    content = alice_client.get(f"/sessions/{session.pk}/").content.decode()

    assert form_data(content, "session-title")["title"] == "The capital of France is"


def test_it_shows_the_runs_newest_first(alice, alice_client, session, provider):
    first = make_run(alice, provider, session=session)
    second = make_run(alice, provider, session=session)

    content = alice_client.get(f"/sessions/{session.pk}/").content.decode()

    assert card_order(content) == [second.pk, first.pk]


def test_each_run_shows_its_text_finish_reason_usage_and_timings(
    alice, alice_client, session, provider
):
    make_run(
        alice,
        provider,
        session=session,
        choices=[{"index": 0, "text": " Paris.", "logprobs": None, "finish_reason": "length"}],
        usage={"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
        time_to_first_token_ms=120.0,
        total_ms=480.0,
        completion_tokens=2,
        tokens_from_usage=True,
    )

    content = alice_client.get(f"/sessions/{session.pk}/").content.decode()

    assert " Paris." in content
    assert "finish_reason: <code>length</code>" in content
    assert "prompt 5 · completion 2 · total 7" in content
    assert "<dt>First token</dt>" in content
    assert "<dt>Total</dt>" in content
    assert "tokens/s" in content


def test_a_run_with_logprobs_shows_tinted_tokens(alice, alice_client, session, provider):
    logprobs = {
        "tokens": [" Par", "is"],
        "token_logprobs": [-0.01, -2.5],
        "top_logprobs": [{" Par": -0.01}, {"is": -2.5, "adise": -0.2}],
        "text_offset": [24, 28],
    }
    make_run(
        alice,
        provider,
        session=session,
        choices=[{"index": 0, "text": " Paris", "logprobs": logprobs, "finish_reason": "stop"}],
    )

    content = alice_client.get(f"/sessions/{session.pk}/").content.decode()

    assert 'class="tok p9"' in content
    assert 'class="tok p0"' in content
    assert "Top alternatives:" in content


def test_each_run_shows_the_parameters_changed_since_the_run_before(
    alice, alice_client, session, provider
):
    body = {"model": "fake-model", "prompt": "Hi", "stream": True}
    make_run(alice, provider, session=session, request_body={**body, "temperature": 0.2})
    make_run(alice, provider, session=session, request_body={**body, "temperature": 0.9})

    content = alice_client.get(f"/sessions/{session.pk}/").content.decode()

    changes = re.findall(r'<ul class="changes".*?</ul>', content, re.DOTALL)
    assert len(changes) == 1
    assert re.search(r"<code>temperature</code>\s*0\.2 → 0\.9", changes[0])


def test_the_first_run_shows_no_changes(alice, alice_client, session, provider):
    make_run(alice, provider, session=session)

    content = alice_client.get(f"/sessions/{session.pk}/").content.decode()

    assert 'class="changes"' not in content


def test_it_lists_only_this_sessions_runs(alice, alice_client, session, provider):
    other = make_session(alice, provider, prompt="Other")
    elsewhere = make_run(alice, provider, session=other)

    content = alice_client.get(f"/sessions/{session.pk}/").content.decode()

    assert f'id="run-{elsewhere.pk}"' not in content


def test_markup_in_the_title_prompt_and_runs_is_shown_as_text(alice, alice_client, provider):
    script = "<script>alert(1)</script>"
    session = make_session(
        alice,
        provider,
        title=script,
        title_is_custom=True,
        prompt=script,
        parameters={**SAVED_PARAMETERS, "extra_body": script},
    )
    make_run(
        alice,
        provider,
        session=session,
        model=script,
        choices=[{"index": 0, "text": script, "logprobs": None, "finish_reason": script}],
        notices=[script],
        error=script,
        status="failed",
    )

    content = alice_client.get(f"/sessions/{session.pk}/").content.decode()

    assert script not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def test_it_never_shows_a_key_or_a_header_value(alice_client, run):
    content = alice_client.get(f"/sessions/{run.session_id}/").content.decode()

    assert not [secret for secret in SECRETS if secret in content]


def test_a_session_in_the_trash_is_404(alice_client, trashed_session):
    assert alice_client.get(f"/sessions/{trashed_session.pk}/").status_code == 404


def test_a_missing_session_is_404(alice_client):
    assert alice_client.get("/sessions/999999/").status_code == 404


def test_outsider_gets_404(bob_client, session):
    assert bob_client.get(f"/sessions/{session.pk}/").status_code == 404


def test_anonymous_users_are_sent_to_log_in(client, session):
    response = client.get(f"/sessions/{session.pk}/")

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next=/sessions/{session.pk}/"


def test_it_rejects_post(alice_client, session):
    assert alice_client.post(f"/sessions/{session.pk}/").status_code == 405


def test_a_run_with_garbled_logprobs_from_a_provider_still_shows(
    alice, alice_client, session, provider
):
    # Stored as a provider sent them: a logprob above 0, alternatives that are not numbers.
    logprobs = {
        "tokens": ["a", "b"],
        "token_logprobs": [1000.0, -1.0],
        "top_logprobs": [{"a": 1000.0, "z": "high"}, {"b": -1.0, "c": None}],
        "text_offset": [0, 1],
    }
    make_run(
        alice,
        provider,
        session=session,
        choices=[{"index": 0, "text": "ab", "logprobs": logprobs, "finish_reason": "stop"}],
    )

    response = alice_client.get(f"/sessions/{session.pk}/")

    assert response.status_code == 200
    assert 'class="tok p9"' in response.text
