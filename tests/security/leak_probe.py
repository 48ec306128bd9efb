"""Tests that pass while putting API keys where the secrets audit must find them.

Not collected with the suite (the name does not start with test_): test_secrets_audit.py
runs it in a pytest of its own and expects that session to fail.
"""

import json
import logging

import pytest

from playground.sessions.models import PlaygroundSession
from playground.sharing.models import SessionShare, Visibility, new_token

from ..factories import fake_api_key, make_provider, make_session

# Found by its marker.
MARKED_KEY = fake_api_key("probe")
# Without the marker: found because a provider was saved with it.
PLAIN_KEY = "plain-probe-key-0123456789"
PLAIN_HEADER_VALUE = "plain-probe-organization-0123456789"


def test_a_key_in_a_page(alice_client, alice):
    make_session(alice, title=MARKED_KEY, title_is_custom=True)

    assert alice_client.get("/sessions/").status_code == 200


def test_a_key_saved_without_the_marker_in_a_page(alice_client, alice):
    make_provider(owner=alice, api_key=PLAIN_KEY)
    make_session(alice, title=PLAIN_KEY, title_is_custom=True)

    assert alice_client.get("/sessions/").status_code == 200


def test_a_header_value_saved_without_the_marker_in_a_page(alice_client, alice):
    make_provider(
        owner=alice, extra_headers=json.dumps({"OpenAI-Organization": PLAIN_HEADER_VALUE})
    )
    make_session(alice, title=PLAIN_HEADER_VALUE, title_is_custom=True)

    assert alice_client.get("/sessions/").status_code == 200


@pytest.mark.django_db(transaction=True)
async def test_a_key_in_a_socket_frame(alice, bob, connect):
    session = await PlaygroundSession.objects.acreate(owner=alice, prompt=MARKED_KEY)
    share = await SessionShare.objects.acreate(
        session=session, visibility=Visibility.LINK, token=new_token()
    )
    viewer = await connect(bob, path=f"/ws/watch/{share.token}/")

    assert (await viewer.receive_json_from())["type"] == "live.state"


def test_a_key_in_a_debug_log_line():
    logging.getLogger("playground.probe").debug("calling with %s", MARKED_KEY)


def test_a_key_in_a_file_left_behind(tmp_path):
    (tmp_path / "server.log").write_text(f"Authorization: Bearer {MARKED_KEY}\n")
