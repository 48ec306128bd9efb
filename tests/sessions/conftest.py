import pytest

from ..factories import make_run, make_session
from .helpers import SAVED_PARAMETERS


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
