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


def test_a_non_streamed_run_shows_no_first_token_even_if_one_was_stored(alice, alice_client):
    # Runs stored before the fix have one: the arrival of the whole answer, about its total.
    run = make_run(
        alice,
        request_body={"model": "fake-model", "prompt": "Hi", "stream": False},
        usage={"prompt_tokens": 1, "completion_tokens": 4, "total_tokens": 5},
        time_to_first_token_ms=480.0,
        total_ms=480.1,
        completion_tokens=4,
        tokens_from_usage=True,
    )

    content = alice_client.get(f"/runs/{run.pk}/").content.decode()

    assert "<dt>Total</dt>" in content
    assert "First token" not in content
    assert "tokens/s" not in content


def test_a_run_stored_without_its_sent_requests_shows_its_request_body(alice, alice_client):
    run = make_run(alice, sent_requests=None)

    content = alice_client.get(f"/runs/{run.pk}/").content.decode()

    assert "Request body" in content
    assert "Sent upstream" not in content
    assert "Nothing was sent upstream" not in content


def test_a_run_that_sent_nothing_says_so(alice, alice_client):
    run = make_run(alice, status=RunStatus.STOPPED, choices=[], sent_requests=[])

    content = alice_client.get(f"/runs/{run.pk}/").content.decode()

    assert "Nothing was sent upstream: the run ended before its first request." in content


def test_a_choice_with_logprobs_is_one_tab_stop_with_the_arrow_keys_inside(alice_client, alice):
    tokens = [" drops", " on", " the", " window"]
    logprobs = {
        "tokens": tokens,
        "token_logprobs": [-0.5, -0.1, -0.2, -1.5],
        "top_logprobs": [{" drops": -0.5, " falls": -1.2}, {}, {}, {}],
        "text_offset": [0, 6, 9, 13],
    }
    run = make_run(
        alice,
        choices=[
            {"index": 0, "text": "".join(tokens), "logprobs": logprobs, "finish_reason": "stop"}
        ],
    )

    content = alice_client.get(f"/runs/{run.pk}/").content.decode()

    # A roving tabindex: the first token is the Tab stop, the others are reached by arrows.
    assert content.count('tabindex="0"') == 1
    assert content.count('tabindex="-1"') == len(tokens) - 1
    assert 'tabindex="0" data-tip="&quot; drops&quot;' in content
    assert 'role="group"' in content
    assert 'aria-label="Tokens of choice 0, with probabilities; use the arrow keys"' in content


def test_a_choice_without_logprobs_is_no_token_group(alice_client, run):
    content = alice_client.get(f"/runs/{run.pk}/").content.decode()

    assert "tabindex" not in content
    assert 'role="group"' not in content
