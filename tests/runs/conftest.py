import pytest

from ..factories import make_provider


@pytest.fixture
def bob_provider(bob, upstream):
    return make_provider(owner=bob, base_url=upstream.base_url, name="Bob's provider")


@pytest.fixture
def shared_provider(db, upstream):
    return make_provider(owner=None, base_url=upstream.base_url, name="Shared fake")


@pytest.fixture
async def alice_socket(alice, connect):
    return await connect(alice)
