"""GET /providers/: the user's own providers and the shared ones."""

import pytest

from ..factories import make_provider
from .helpers import assert_no_secret_in

pytestmark = pytest.mark.django_db


def test_it_lists_own_and_shared_providers(alice_client, bob, provider):
    make_provider(owner=None, name="Team proxy")
    make_provider(owner=bob, name="Bob's private one")

    response = alice_client.get("/providers/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "Alice&#x27;s provider" in content
    assert f"/providers/{provider.pk}/" in content
    assert "Team proxy" in content
    assert "Bob" not in content


def test_it_says_whether_a_key_is_set_without_showing_it(alice_client, provider):
    response = alice_client.get("/providers/")

    assert "set" in response.content.decode()
    assert_no_secret_in(response)


def test_it_requires_login(client):
    response = client.get("/providers/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/providers/"
