"""GET /providers/models/?provider=<id>: the model suggestions, fetched from the provider."""

import json
import socket

import pytest
from django.core.cache import cache

from ..factories import fake_header_value, make_provider
from ..fake_upstream import Reply
from .helpers import KEY

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def models_page(client, provider, **params):
    return client.get("/providers/models/", {"provider": provider.pk, **params})


def test_it_lists_the_providers_models(alice_client, alice_provider, upstream):
    upstream.models = ["zeta-model", "alpha-model"]

    response = models_page(alice_client, alice_provider)

    assert response.status_code == 200
    content = response.content.decode()
    assert content.index('<option value="alpha-model">') < content.index(
        '<option value="zeta-model">'
    )
    assert "2 models available." in content
    request = upstream.model_requests[-1]
    assert request.path == "/v1/models"
    assert request.headers["Authorization"] == f"Bearer {KEY}"


def test_it_caches_the_list(alice_client, alice_provider, upstream):
    models_page(alice_client, alice_provider)
    upstream.models = ["new-model"]

    response = models_page(alice_client, alice_provider)

    assert len(upstream.model_requests) == 1
    assert b"fake-model" in response.content
    assert b"new-model" not in response.content


def test_refresh_fetches_the_list_again(alice_client, alice_provider, upstream):
    models_page(alice_client, alice_provider)
    upstream.models = ["new-model"]

    response = models_page(alice_client, alice_provider, refresh="1")

    assert len(upstream.model_requests) == 2
    assert b'<option value="new-model">' in response.content
    assert b"fake-model" not in models_page(alice_client, alice_provider).content


def test_a_provider_error_is_shown_and_not_cached(alice_client, alice_provider, upstream):
    upstream.models_reply = Reply({"error": {"message": "Invalid token."}}, status=401)

    response = models_page(alice_client, alice_provider)

    assert response.status_code == 200
    assert "Could not load models: The provider answered 401 Unauthorized: Invalid token." in (
        response.content.decode()
    )
    upstream.models_reply = None
    assert b'<option value="fake-model">' in models_page(alice_client, alice_provider).content


def test_an_unreachable_provider_is_shown(alice, alice_client):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    provider = make_provider(owner=alice, base_url=f"http://127.0.0.1:{port}/v1")

    response = models_page(alice_client, provider)

    assert f"Could not load models: Could not connect to http://127.0.0.1:{port}/v1" in (
        response.content.decode()
    )


def test_a_list_in_another_format_is_explained(alice_client, alice_provider, upstream):
    upstream.models_reply = Reply({"models": ["a", "b"]})

    response = models_page(alice_client, alice_provider)

    assert b"not in the OpenAI format" in response.content


def test_a_provider_error_quoting_the_key_does_not_show_it(alice_client, alice_provider, upstream):
    upstream.models_reply = Reply({"error": {"message": f"Bad key {KEY}"}}, status=401)

    response = models_page(alice_client, alice_provider)

    assert b"Bad key" in response.content
    assert KEY.encode() not in response.content


ORGANIZATION = fake_header_value("org-")


@pytest.fixture
def organization_provider(upstream):
    """A shared provider sending an organization header, as OpenAI's own API takes one."""
    headers = json.dumps({"OpenAI-Organization": ORGANIZATION})
    return make_provider(owner=None, base_url=upstream.base_url, extra_headers=headers)


def test_a_provider_error_quoting_a_header_value_does_not_show_it(
    alice_client, organization_provider, upstream
):
    message = f"No such organization: {ORGANIZATION}."
    upstream.models_reply = Reply({"error": {"message": message}}, status=401)

    response = models_page(alice_client, organization_provider)

    assert upstream.model_requests[-1].headers["OpenAI-Organization"] == ORGANIZATION
    content = response.content.decode()
    assert "No such organization: [the OpenAI-Organization header]." in content
    assert ORGANIZATION not in content
    assert ORGANIZATION[-12:] not in content


def test_model_ids_quoting_a_header_value_do_not_show_it(
    alice_client, organization_provider, upstream
):
    # Fine-tuned models are named after their organization: ft:base:org-…:name:id.
    upstream.models = ["fake-model", f"ft:fake-model:{ORGANIZATION}:mine:1"]

    response = models_page(alice_client, organization_provider)

    content = response.content.decode()
    assert '<option value="fake-model">' in content
    assert '<option value="ft:fake-model:[the OpenAI-Organization header]:mine:1">' in content
    assert ORGANIZATION not in content


def test_a_shared_provider_lists_its_models(alice_client, upstream):
    shared = make_provider(owner=None, base_url=upstream.base_url)

    response = models_page(alice_client, shared)

    assert b'<option value="fake-model">' in response.content


def test_outsider_gets_404(client, bob, alice_provider, upstream):
    client.force_login(bob)

    assert models_page(client, alice_provider).status_code == 404
    assert upstream.model_requests == []


@pytest.mark.parametrize(
    "query",
    # "²" is a digit to str.isdigit(), but no number to the database; nor is a huge one.
    [
        "",
        "?provider=",
        "?provider=abc",
        "?provider=999999",
        "?provider=²",
        "?provider=" + "9" * 5000,
    ],
)
def test_a_missing_provider_is_404(alice_client, query):
    assert alice_client.get(f"/providers/models/{query}").status_code == 404


def test_it_requires_login(client, alice_provider, upstream):
    response = models_page(client, alice_provider)

    assert response.status_code == 302
    assert upstream.model_requests == []
