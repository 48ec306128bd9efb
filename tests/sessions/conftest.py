import json

import pytest
from django.test import Client

from ..factories import make_provider, make_run, make_session
from .helpers import EXTRA_HEADERS, SAVED_PARAMETERS


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # The default hasher takes most of a second per user on a small machine.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def bob_client(bob):
    client = Client()
    client.force_login(bob)
    return client


@pytest.fixture
def provider(alice):
    """Alice's provider, with a key and extra headers whose values are secret too."""
    return make_provider(
        owner=alice, name="Alice's provider", extra_headers=json.dumps(EXTRA_HEADERS)
    )


@pytest.fixture
def session(alice, provider):
    """Alice's session about Paris, with its parameters as the page saved them."""
    return make_session(
        alice, provider, prompt="The capital of France is", parameters=dict(SAVED_PARAMETERS)
    )


@pytest.fixture
def run(alice, provider, session):
    return make_run(
        alice,
        provider,
        session=session,
        request_body={"model": "fake-model", "prompt": "The capital of France is", "stream": True},
        choices=[{"index": 0, "text": " Paris.", "logprobs": None, "finish_reason": "stop"}],
        form_state={
            "provider": str(provider.pk),
            "model": "fake-model",
            "prompt": "The capital of France is",
            **SAVED_PARAMETERS,
        },
    )


@pytest.fixture
def trashed_session(alice, provider):
    session = make_session(alice, provider, prompt="An old idea")
    session.move_to_trash()
    return session
