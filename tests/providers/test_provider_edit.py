"""/providers/<id>/: the owner edits a provider; secrets are write-only."""

import json

import pytest

from playground.providers.models import AuthStyle

from ..factories import EXTRA_HEADERS, fake_api_key, make_provider
from .helpers import KEY, assert_no_secret_in, raw_columns

pytestmark = pytest.mark.django_db


def edit_data(provider, **fields):
    data = {
        "name": provider.name,
        "base_url": provider.base_url,
        "auth_style": provider.auth_style,
        "default_model": provider.default_model,
        "api_key": "",
        "extra_headers": "",
    }
    data.update(fields)
    return data


def test_the_owner_sees_the_form_without_secrets(alice_client, provider):
    response = alice_client.get(f"/providers/{provider.pk}/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "An API key is set." in content
    assert "OpenAI-Organization" in content
    assert_no_secret_in(response)


def test_outsider_gets_404(bob_client, provider):
    assert bob_client.get(f"/providers/{provider.pk}/").status_code == 404


def test_outsider_cannot_change_it(bob_client, provider):
    response = bob_client.post(f"/providers/{provider.pk}/", edit_data(provider, name="Pwned"))

    assert response.status_code == 404
    provider.refresh_from_db()
    assert provider.name == "Alice's provider"


def test_a_shared_provider_cannot_be_edited_here(alice_client):
    shared = make_provider(owner=None)

    assert alice_client.get(f"/providers/{shared.pk}/").status_code == 404


def test_it_requires_login(client, provider):
    response = client.get(f"/providers/{provider.pk}/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_it_saves_the_changes(alice_client, provider):
    response = alice_client.post(
        f"/providers/{provider.pk}/",
        edit_data(provider, name="Renamed", auth_style=AuthStyle.API_KEY),
    )

    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.name == "Renamed"
    assert provider.auth_style == AuthStyle.API_KEY


def test_a_blank_key_keeps_the_key(alice_client, provider):
    alice_client.post(f"/providers/{provider.pk}/", edit_data(provider, name="Renamed"))

    provider.refresh_from_db()
    assert provider.name == "Renamed"
    assert provider.api_key == KEY


def test_a_new_key_replaces_the_key(alice_client, provider):
    new_key = fake_api_key("new")
    alice_client.post(f"/providers/{provider.pk}/", edit_data(provider, api_key=new_key))

    provider.refresh_from_db()
    assert provider.api_key == new_key
    assert new_key not in raw_columns(provider)[0]


def test_the_clear_checkbox_removes_the_key(alice_client, provider):
    alice_client.post(f"/providers/{provider.pk}/", edit_data(provider, clear_api_key="on"))

    provider.refresh_from_db()
    assert provider.api_key == ""
    assert raw_columns(provider)[0] == ""
    assert "No API key is set." in alice_client.get(f"/providers/{provider.pk}/").content.decode()


def test_blank_extra_headers_keep_the_headers(alice_client, provider):
    alice_client.post(f"/providers/{provider.pk}/", edit_data(provider))

    provider.refresh_from_db()
    assert provider.extra_header_items() == EXTRA_HEADERS


def test_new_extra_headers_replace_the_headers(alice_client, provider):
    alice_client.post(
        f"/providers/{provider.pk}/", edit_data(provider, extra_headers='{"OpenAI-Project": "p2"}')
    )

    provider.refresh_from_db()
    assert provider.extra_header_items() == {"OpenAI-Project": "p2"}


def test_the_clear_checkbox_removes_the_headers(alice_client, provider):
    alice_client.post(f"/providers/{provider.pk}/", edit_data(provider, clear_extra_headers="on"))

    provider.refresh_from_db()
    assert provider.extra_header_items() == {}
    assert raw_columns(provider)[1] == ""


def test_a_rejected_edit_shows_no_secret(alice_client, provider):
    response = alice_client.post(f"/providers/{provider.pk}/", edit_data(provider, base_url="x"))

    assert response.status_code == 200
    assert_no_secret_in(response)
    provider.refresh_from_db()
    assert json.loads(provider.extra_headers) == EXTRA_HEADERS
