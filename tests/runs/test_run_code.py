"""GET /runs/<id>/code/: the run's request as code to copy, with the key left out."""

import json
import re
from html import unescape

import pytest

from playground.providers.models import AuthStyle

from ..execution.helpers import KEY
from ..factories import make_provider, make_run, make_session

pytestmark = pytest.mark.django_db

HEADERS = {"OpenAI-Organization": "org-SECRET-ORG"}
LABELS = ["curl", "Python (openai)", "JavaScript (fetch)", "Python (httpx)"]


@pytest.fixture
def provider(alice):
    return make_provider(
        owner=alice,
        name="Alice's provider",
        base_url="https://llm.example.com/v1",
        extra_headers=json.dumps(HEADERS),
    )


@pytest.fixture
def session(alice, provider):
    return make_session(alice, provider, prompt="Hi")


@pytest.fixture
def run(alice, provider, session):
    return make_run(
        alice,
        provider,
        session=session,
        request_body={
            "model": "fake-model",
            "prompt": 'Say <b>hi</b> & "bye" it\'s',
            "stream": True,
            "temperature": 0.7,
            "top_k": 40,
        },
    )


def raw_snippets(content: str) -> list[str]:
    """The code of each snippet, as the Copy button copies it."""
    return [
        unescape(code) for code in re.findall(r"<textarea[^>]*>(.*?)</textarea>", content, re.S)
    ]


def test_it_shows_the_request_in_four_languages(alice_client, run):
    response = alice_client.get(f"/runs/{run.pk}/code/")

    assert response.status_code == 200
    assert re.findall(r"<summary>(.*?)</summary>", response.text) == LABELS
    assert len(raw_snippets(response.text)) == 4


def test_every_snippet_has_the_providers_url_and_header_names_but_no_secret(alice_client, run):
    content = alice_client.get(f"/runs/{run.pk}/code/").text

    for code in raw_snippets(content):
        assert "https://llm.example.com/v1" in code
        assert "OpenAI-Organization" in code
        assert "PROVIDER_API_KEY" in code
    assert KEY not in content
    assert "org-SECRET-ORG" not in content


def test_an_api_key_provider_gets_an_api_key_header_from_the_environment(alice, alice_client):
    provider = make_provider(owner=alice, auth_style=AuthStyle.API_KEY)
    run = make_run(alice, provider, session=make_session(alice, provider))

    content = alice_client.get(f"/runs/{run.pk}/code/").text

    for code in raw_snippets(content):
        assert "api-key" in code
        assert "PROVIDER_API_KEY" in code
        assert "Authorization" not in code
    assert KEY not in content


def test_the_code_is_highlighted_and_has_a_copy_button(alice_client, run):
    content = alice_client.get(f"/runs/{run.pk}/code/").text

    assert content.count('<pre class="highlight"><code>') == 4
    assert '<span class="' in content
    copies = re.findall(
        r'<button type="button" class="copy" data-copy="([^"]+)">Copy</button>', content
    )
    assert len(copies) == 4
    for target in copies:
        assert f'<textarea id="{target}"' in content


def test_markup_in_the_request_is_shown_as_text(alice_client, run):
    content = alice_client.get(f"/runs/{run.pk}/code/").text

    assert "<b>hi</b>" not in content
    assert any("Say <b>hi</b>" in code for code in raw_snippets(content))


def test_a_run_whose_provider_is_gone_uses_its_sessions_provider(alice, alice_client, session):
    run = make_run(alice, None, session=session)

    content = alice_client.get(f"/runs/{run.pk}/code/").text

    assert session.provider.base_url + "/completions" in raw_snippets(content)[0]


def test_a_run_with_no_provider_anywhere_still_has_code(alice, alice_client, session):
    session.provider = None
    session.save()
    run = make_run(alice, None, session=session)

    content = alice_client.get(f"/runs/{run.pk}/code/").text

    assert "https://api.openai.com/v1/completions" in raw_snippets(content)[0]


def test_a_run_of_a_session_in_the_trash_is_404(alice_client, run, session):
    session.move_to_trash()

    assert alice_client.get(f"/runs/{run.pk}/code/").status_code == 404


def test_a_missing_run_is_404(alice_client):
    assert alice_client.get("/runs/999999/code/").status_code == 404


def test_outsider_gets_404(client, bob, run):
    client.force_login(bob)

    assert client.get(f"/runs/{run.pk}/code/").status_code == 404


def test_anonymous_users_are_sent_to_log_in(client, run):
    response = client.get(f"/runs/{run.pk}/code/")

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next=/runs/{run.pk}/code/"


def test_it_rejects_post(alice_client, run):
    assert alice_client.post(f"/runs/{run.pk}/code/").status_code == 405
