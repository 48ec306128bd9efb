import json

import pytest

from ..factories import make_provider


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # The default hasher takes most of a second per user on a small machine.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


HEADERS = {"OpenAI-Organization": "org-SECRET-ORG", "OpenAI-Project": "proj_SECRET_PROJECT"}


@pytest.fixture
def provider(alice):
    """Alice's provider, with a key and extra headers."""
    return make_provider(owner=alice, name="Alice's provider", extra_headers=json.dumps(HEADERS))


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client
