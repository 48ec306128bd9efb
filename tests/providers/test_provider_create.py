"""POST /providers/new/: a user adds a provider of their own; its secrets are stored encrypted."""

import json

import pytest

from playground.providers.models import AuthStyle, Provider

from .helpers import KEY, assert_no_secret_in, raw_columns

pytestmark = pytest.mark.django_db


def provider_data(**fields):
    data = {
        "name": "My proxy",
        "base_url": "https://proxy.example/v1/",
        "auth_style": AuthStyle.BEARER,
        "api_key": KEY,
        "extra_headers": '{"OpenAI-Organization": "org-SECRET-ORG"}',
        "default_model": "gpt-3.5-turbo-instruct",
    }
    data.update(fields)
    return data


def test_it_shows_an_empty_form(alice_client):
    response = alice_client.get("/providers/new/")

    assert response.status_code == 200
    assert b'name="api_key"' in response.content


def test_it_creates_a_provider_owned_by_the_user(alice, alice_client):
    response = alice_client.post("/providers/new/", provider_data())

    assert response.status_code == 302
    assert response.url == "/providers/"
    provider = Provider.objects.get()
    assert provider.owner == alice
    assert provider.name == "My proxy"
    assert provider.base_url == "https://proxy.example/v1"
    assert provider.api_key == KEY
    assert provider.extra_header_items() == {"OpenAI-Organization": "org-SECRET-ORG"}


def test_the_key_and_headers_are_stored_encrypted(alice_client):
    alice_client.post("/providers/new/", provider_data())

    api_key, extra_headers = raw_columns(Provider.objects.get())

    assert api_key and KEY not in api_key
    assert extra_headers and "org-SECRET-ORG" not in extra_headers
    assert "OpenAI-Organization" not in extra_headers


def test_a_provider_without_key_stores_an_empty_column(alice_client):
    alice_client.post("/providers/new/", provider_data(api_key="", auth_style=AuthStyle.NONE))

    assert raw_columns(Provider.objects.get())[0] == ""
    assert Provider.objects.get().has_api_key is False


def test_a_rejected_form_does_not_render_the_key_back(alice_client):
    response = alice_client.post("/providers/new/", provider_data(base_url="not a url"))

    assert response.status_code == 200
    assert KEY not in response.content.decode()
    assert not Provider.objects.exists()


def test_a_rejected_form_does_not_render_the_header_values_back(alice_client):
    response = alice_client.post("/providers/new/", provider_data(base_url="not a url"))

    assert response.status_code == 200
    assert "org-SECRET-ORG" not in response.content.decode()


def test_it_rejects_a_base_url_that_is_not_http(alice_client):
    response = alice_client.post("/providers/new/", provider_data(base_url="ftp://proxy.example/"))

    assert "The base URL must start with http:// or https://." in response.content.decode()
    assert not Provider.objects.exists()


def test_it_rejects_extra_headers_that_are_not_json(alice_client):
    response = alice_client.post("/providers/new/", provider_data(extra_headers="Org: x"))

    assert "Extra headers are not valid JSON" in response.content.decode()
    assert not Provider.objects.exists()


def test_it_requires_login(client):
    response = client.post("/providers/new/", provider_data())

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    assert not Provider.objects.exists()


def test_the_created_provider_page_never_shows_the_secrets(alice_client):
    alice_client.post("/providers/new/", provider_data())
    provider = Provider.objects.get()

    for url in ("/providers/", f"/providers/{provider.pk}/", "/"):
        response = alice_client.get(url, follow=True)
        assert response.status_code == 200
        assert_no_secret_in(response)
    assert json.loads(provider.extra_headers)


def test_prices_are_kept_and_a_negative_one_is_refused(alice_client):
    from decimal import Decimal

    alice_client.post(
        "/providers/new/",
        provider_data(price_prompt_per_million="0.5", price_completion_per_million="1.5"),
    )
    provider = Provider.objects.get()
    assert (provider.price_prompt_per_million, provider.price_completion_per_million) == (
        Decimal("0.5"),
        Decimal("1.5"),
    )
    assert provider.cost_of({"prompt_tokens": 2000, "completion_tokens": 1000}) == Decimal("0.0025")
    assert provider.cost_of(None) is None

    response = alice_client.post("/providers/new/", provider_data(price_prompt_per_million="-1"))
    assert response.status_code == 200
    assert "greater than or equal to 0" in response.content.decode()
