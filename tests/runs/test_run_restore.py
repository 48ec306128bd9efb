"""POST /sessions/runs/<id>/restore/: a run's prompt and parameters go back into its form."""

import pytest

from ..factories import make_provider, make_run, make_session
from ..sessions.helpers import form_data

pytestmark = pytest.mark.django_db

STATE = {
    "prompt": "The first try",
    "model": "model-then",
    "temperature": "0.2",
    "stream": "",
    "stop": ["\\n", "", "", ""],
    "logit_bias_token": ["13", "", "", ""],
    "logit_bias_bias": ["-5", "", "", ""],
    "extra_body": '{"top_k": 10}',
}


@pytest.fixture
def provider(alice):
    return make_provider(owner=alice, name="Then")


@pytest.fixture
def session(alice, provider):
    """A session whose form has moved on since its first run."""
    now = make_provider(owner=alice, name="Now")
    return make_session(
        alice,
        now,
        prompt="Much later",
        model="model-now",
        parameters={"temperature": "1.8", "stream": "on", "extra_body": ""},
    )


@pytest.fixture
def run(alice, provider, session):
    return make_run(
        alice, provider, session=session, form_state={"provider": str(provider.pk), **STATE}
    )


def test_it_puts_the_runs_form_back_and_reopens_the_session(alice_client, run, session, provider):
    response = alice_client.post(f"/sessions/runs/{run.pk}/restore/")

    assert response.status_code == 302
    assert response.url == f"/sessions/{session.pk}/"
    session.refresh_from_db()
    assert session.prompt == "The first try"
    assert session.model == "model-then"
    assert session.provider == provider
    assert session.parameters["temperature"] == "0.2"
    assert session.parameters["stream"] == ""


def test_the_page_then_shows_the_runs_parameters(alice_client, run, session, provider):
    alice_client.post(f"/sessions/runs/{run.pk}/restore/")

    shown = form_data(alice_client.get(f"/sessions/{session.pk}/").text)

    assert shown["prompt"] == "The first try"
    assert shown["provider"] == str(provider.pk)
    assert shown["temperature"] == "0.2"
    assert "stream" not in shown
    assert shown.getlist("stop")[0] == "\\n"
    assert shown.getlist("logit_bias_token")[0] == "13"
    assert shown.getlist("logit_bias_bias")[0] == "-5"
    assert shown["extra_body"] == '{"top_k": 10}'


def test_htmx_gets_a_client_redirect(alice_client, run, session):
    response = alice_client.post(
        f"/sessions/runs/{run.pk}/restore/", headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/sessions/{session.pk}/"


def test_the_runs_are_left_as_they_were(alice_client, run, session):
    alice_client.post(f"/sessions/runs/{run.pk}/restore/")

    assert list(session.runs.all()) == [run]


def test_a_provider_no_longer_usable_is_not_restored(alice, bob, alice_client, session):
    bobs = make_provider(owner=bob)
    run = make_run(alice, session=session, form_state={"provider": str(bobs.pk), **STATE})
    provider_before = session.provider

    alice_client.post(f"/sessions/runs/{run.pk}/restore/")

    session.refresh_from_db()
    assert session.provider == provider_before
    assert session.prompt == "The first try"


def test_a_run_without_a_session_is_404(alice, alice_client):
    run = make_run(alice, form_state=STATE)

    assert alice_client.post(f"/sessions/runs/{run.pk}/restore/").status_code == 404


def test_a_run_of_a_session_in_the_trash_is_404(alice_client, run, session):
    session.move_to_trash()

    assert alice_client.post(f"/sessions/runs/{run.pk}/restore/").status_code == 404
    session.refresh_from_db()
    assert session.prompt == "Much later"


def test_outsider_gets_404(client, bob, run, session):
    client.force_login(bob)

    response = client.post(f"/sessions/runs/{run.pk}/restore/")

    assert response.status_code == 404
    session.refresh_from_db()
    assert session.prompt == "Much later"


def test_anonymous_users_are_sent_to_log_in(client, run, session):
    response = client.post(f"/sessions/runs/{run.pk}/restore/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    session.refresh_from_db()
    assert session.prompt == "Much later"


def test_it_rejects_get(alice_client, run):
    assert alice_client.get(f"/sessions/runs/{run.pk}/restore/").status_code == 405


def test_a_run_that_kept_no_form_cannot_blank_the_form(alice, alice_client, session):
    # An imported run may come without its form state.
    run = make_run(alice, session=session, form_state={})

    response = alice_client.post(f"/sessions/runs/{run.pk}/restore/")

    assert response.status_code == 404
    session.refresh_from_db()
    assert session.prompt == "Much later"
    page = alice_client.get(f"/sessions/{session.pk}/").text
    assert f'hx-post="/sessions/runs/{run.pk}/restore/"' not in page


def test_the_run_card_offers_restore(alice_client, run, session):
    page = alice_client.get(f"/sessions/{session.pk}/").text

    assert f'hx-post="/sessions/runs/{run.pk}/restore/"' in page
