"""Runs against the real local model (its server is the session fixture local_model_server)."""

import pytest

from playground.localmodel.provider import sync_local_provider


@pytest.fixture
def local_provider(db, local_model_server):
    return sync_local_provider(local_model_server.base_url)


@pytest.fixture(autouse=True)
def _local_model_on(settings):
    settings.PLAYGROUND_LOCAL_MODEL = True
    return settings
