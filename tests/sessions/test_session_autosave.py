"""POST /sessions/<id>/autosave/: the form is saved as typed, and the page shows it again."""

import pytest
from django.conf import settings
from django.test import Client

from playground.sessions.state import take_in_run

from ..factories import make_provider
from .helpers import PARAMETERS, form_data

pytestmark = pytest.mark.django_db


def page_post(provider, **fields) -> dict:
    """The completion form as the page posts it, hidden fields included."""
    data = {
        "action": "run",
        "provider": str(provider.pk),
        "model": "fake-model",
        "prompt": "The capital of France is",
        **PARAMETERS,
        **fields,
    }
    return {name: value for name, value in data.items() if value is not None}


def autosave(client, session, data):
    return client.post(f"/sessions/{session.pk}/autosave/", data, headers={"HX-Request": "true"})


def test_it_saves_the_form_and_says_saved(alice_client, session, provider):
    response = autosave(alice_client, session, page_post(provider, prompt="New prompt"))

    assert response.status_code == 200
    assert 'id="save-state"' in response.text
    assert "Saved" in response.text
    session.refresh_from_db()
    assert session.prompt == "New prompt"


def test_reloading_in_another_browser_shows_exactly_what_was_saved(alice, session):
    other_model = make_provider(owner=alice, name="Second", default_model="m-x")
    posted = page_post(
        other_model,
        model="m-typed",
        prompt="\nA prompt that starts with a newline\n\tand has a tab  ",
        suffix=" the end",
        prompt_json='["a", "b"]',
        extra_body='{"top_k": 40, "min_p": 0.05}',
        max_tokens="64",
        temperature="1.25",
        top_p="0.9",
        n="2",
        stream=None,
        include_usage=None,
        echo="on",
        logprobs="3",
        stop=["\\n\\n", "END", "\\t", ""],
        presence_penalty="-0.5",
        frequency_penalty="0.5",
        best_of="3",
        seed="42",
        user="me@example.com",
        logit_bias_token=["50256", "13", "", "", "99"],
        logit_bias_bias=["-100", "2.5", "", "", "1"],
    )
    first_browser = Client()
    first_browser.force_login(alice)
    autosave(first_browser, session, posted)

    other_browser = Client()
    other_browser.force_login(alice)
    shown = form_data(other_browser.get(f"/sessions/{session.pk}/").text)

    for name, value in posted.items():
        if name in ("stop", "logit_bias_token", "logit_bias_bias", "prompt", "suffix"):
            continue
        assert shown[name] == value, name
    # The editor's document is the prompt and the text after the cursor (the suffix).
    assert shown["prompt"] == posted["prompt"] + posted["suffix"]
    assert shown["suffix"] == ""
    assert shown.getlist("stop") == ["\\n\\n", "END", "\\t", ""]
    # Empty rows are dropped, but every row with a value comes back in order.
    assert shown.getlist("logit_bias_token")[:3] == ["50256", "13", "99"]
    assert shown.getlist("logit_bias_bias")[:3] == ["-100", "2.5", "1"]
    assert "stream" not in shown
    assert "include_usage" not in shown


def test_an_invalid_value_is_saved_as_typed(alice_client, session, provider):
    autosave(alice_client, session, page_post(provider, temperature="9", n="lots"))

    shown = form_data(alice_client.get(f"/sessions/{session.pk}/").text)
    assert shown["temperature"] == "9"
    assert shown["n"] == "lots"


def test_the_title_follows_the_prompt_until_renamed(alice_client, session, provider):
    response = autosave(alice_client, session, page_post(provider, prompt="Roses are red"))

    session.refresh_from_db()
    assert session.title == "Roses are red"
    # The page's title changes too, out of band.
    assert 'id="session-title"' in response.text
    assert 'hx-swap-oob="true"' in response.text
    assert 'value="Roses are red"' in response.text


def test_a_renamed_title_stays(alice_client, session, provider):
    session.title, session.title_is_custom = "Mine", True
    session.save()

    response = autosave(alice_client, session, page_post(provider, prompt="Violets are blue"))

    session.refresh_from_db()
    assert session.title == "Mine"
    assert 'id="session-title"' not in response.text


def test_a_state_too_large_is_not_saved_and_the_page_says_so(alice_client, session, provider):
    response = autosave(
        alice_client,
        session,
        page_post(provider, prompt="x" * (settings.PLAYGROUND_MAX_PROMPT_CHARS + 1)),
    )

    assert response.status_code == 200
    assert "Not saved" in response.text
    session.refresh_from_db()
    assert session.prompt == "The capital of France is"


def test_another_users_provider_is_not_saved(alice_client, session, provider, bob):
    bobs = make_provider(owner=bob)

    autosave(alice_client, session, page_post(bobs))

    session.refresh_from_db()
    assert session.provider == provider


@pytest.mark.parametrize("provider_id", ["²", "9" * 5000])
def test_a_provider_id_that_is_no_number_is_not_saved(alice_client, session, provider, provider_id):
    response = autosave(alice_client, session, {**page_post(provider), "provider": provider_id})

    assert response.status_code == 200
    session.refresh_from_db()
    assert session.provider == provider


def test_a_session_in_the_trash_is_404(alice_client, trashed_session, provider):
    response = autosave(alice_client, trashed_session, page_post(provider, prompt="Changed"))

    assert response.status_code == 404
    trashed_session.refresh_from_db()
    assert trashed_session.prompt == "An old idea"


def test_outsider_gets_404(bob_client, session, provider):
    response = autosave(bob_client, session, page_post(provider, prompt="Bob was here"))

    assert response.status_code == 404
    session.refresh_from_db()
    assert session.prompt == "The capital of France is"


def test_anonymous_users_are_sent_to_log_in(client, session, provider):
    response = client.post(f"/sessions/{session.pk}/autosave/", page_post(provider, prompt="x"))

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    session.refresh_from_db()
    assert session.prompt == "The capital of France is"


def test_it_rejects_get(alice_client, session):
    assert alice_client.get(f"/sessions/{session.pk}/autosave/").status_code == 405


@pytest.mark.parametrize("field", ["prompt", "suffix", "model"])
def test_a_nul_character_is_not_saved_and_the_page_says_why(alice_client, session, provider, field):
    # PostgreSQL cannot store it; a browser never sends one, a crafted request might.
    response = autosave(alice_client, session, page_post(provider, **{field: "a\x00b"}))

    assert response.status_code == 200
    assert f"Not saved: {field} cannot hold a NUL character." in response.text
    session.refresh_from_db()
    assert "\x00" not in session.prompt + session.model + session.parameters["suffix"]


def test_a_save_sent_before_the_page_had_a_finished_run_keeps_the_stored_document(
    alice_client, session, run, provider
):
    # The page's save was on its way (or sent as the page was left) when the run finished on
    # the server and became the document: it must not put the document from before back.
    take_in_run(run)
    session.refresh_from_db()
    assert session.prompt == "The capital of France is Paris."
    assert session.document_version == 1

    stale = page_post(
        provider, prompt="The capital of France is", temperature="1.4", document_version="0"
    )
    response = autosave(alice_client, session, stale)

    session.refresh_from_db()
    assert session.prompt == "The capital of France is Paris."
    assert session.node == f"{run.pk}:0"
    assert session.parameters["suffix"] == ""
    # Everything else it carried is saved, and the label says what was not.
    assert session.parameters["temperature"] == "1.4"
    assert "Not saved: the document here" in response.text
    assert "The other settings are saved" in response.text


def test_a_save_based_on_the_taken_in_document_is_kept(alice_client, session, run, provider):
    take_in_run(run)

    posted = page_post(provider, prompt="The capital of France is Paris. And", document_version="1")
    response = autosave(alice_client, session, posted)

    assert "Saved" in response.text and "Not saved" not in response.text
    session.refresh_from_db()
    assert session.prompt == "The capital of France is Paris. And"
    assert session.document_version == 1


def test_the_tree_gives_the_stored_documents_version(alice_client, session, run):
    assert alice_client.get(f"/sessions/{session.pk}/tree/").json()["document_version"] == 0
    take_in_run(run)
    assert alice_client.get(f"/sessions/{session.pk}/tree/").json()["document_version"] == 1
