"""The browser tests' own fixtures.

The live daphne server, Chromium and logged-in pages come from tests/support/live_server.py
(see its docstring).
"""

import pytest


@pytest.fixture
def shared_session(daphne_server, live_alice, live_alice_provider):
    """A session of alice's, shared by link: {"id", "token"}."""
    return daphne_server.django(
        """
        from playground.sessions.models import PlaygroundSession
        from playground.sharing.models import SessionShare, new_token
        session = PlaygroundSession.objects.create(
            owner_id=params["owner"], title="Weather haiku", title_is_custom=True,
            provider_id=params["provider"], model="fake-model",
        )
        share = SessionShare.objects.create(session=session, visibility="link", token=new_token())
        result = {"id": session.pk, "token": share.token}
        """,
        owner=live_alice.pk,
        provider=live_alice_provider,
    )
