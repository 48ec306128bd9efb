import pytest

from ..factories import make_run, make_session
from .helpers import PARAMETERS


@pytest.fixture
def session(alice, provider):
    """Alice's session about Paris, with its parameters as the page posts them."""
    return make_session(
        alice, provider, prompt="The capital of France is", parameters=dict(PARAMETERS)
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
            **PARAMETERS,
        },
    )


@pytest.fixture
def trashed_session(alice, provider):
    session = make_session(alice, provider, prompt="An old idea")
    session.move_to_trash()
    return session
