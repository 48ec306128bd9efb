"""/providers/<id>/: the owner edits a provider; secrets are write-only."""

import json

import pytest

from playground.providers.models import AuthStyle

from ..factories import EXTRA_HEADERS, fake_api_key, make_provider, make_user
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


def test_a_new_provider_has_no_stored_key_to_keep_or_remove(alice_client):
    content = alice_client.get("/providers/new/").content.decode()

    assert "Remove the stored key" not in content
    assert "Remove the extra headers" not in content
    assert "keep the current" not in content


def test_only_what_is_stored_can_be_kept_or_removed(alice_client, alice):
    keyed = make_provider(owner=alice, api_key=fake_api_key(), extra_headers="")

    content = alice_client.get(f"/providers/{keyed.pk}/").content.decode()

    assert "Remove the stored key" in content
    assert "Stored encrypted and never shown again. Leave blank to keep the current one." in content
    assert "Remove the extra headers" not in content


def test_the_admin_shows_the_remove_boxes_only_for_what_is_stored(db, client, provider):
    client.force_login(make_user("staff", is_staff=True, is_superuser=True))
    add = client.get("/admin/providers/provider/add/")
    change = client.get(f"/admin/providers/provider/{provider.pk}/change/")

    assert add.status_code == 200
    assert "clear_api_key" not in add.content.decode()
    assert change.status_code == 200
    assert 'name="clear_api_key"' in change.content.decode()
    assert 'name="clear_extra_headers"' in change.content.decode()
