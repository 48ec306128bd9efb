"""The playground page: for logged-in users, with their providers and their runs only."""

import pytest

from playground.sessions.models import PlaygroundSession

from ..execution.helpers import KEY
from ..factories import make_provider, make_run

pytestmark = pytest.mark.django_db


def test_it_requires_login(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/"


def test_it_shows_the_form(alice_client):
    response = alice_client.get("/", follow=True)

    assert response.status_code == 200
    assert b'id="completion-form"' in response.content
    assert b'ws-connect="/ws/playground/"' in response.content


def test_it_offers_own_and_shared_providers_only(alice, bob, alice_client):
    mine = make_provider(owner=alice, name="Alice's own")
    shared = make_provider(owner=None, name="Everyone's")
    make_provider(owner=bob, name="Bob's secret one")

    content = alice_client.get("/", follow=True).content.decode()

    assert f'value="{mine.pk}"' in content
    assert f'value="{shared.pk}"' in content
    assert "Bob&#x27;s secret one" not in content
    assert "Bob's secret one" not in content


def test_it_lists_the_sessions_own_runs_only(alice, bob, alice_client):
    session = PlaygroundSession.objects.create(owner=alice)
    own = make_run(alice, session=session)
    elsewhere = make_run(alice)
    other = make_run(bob)

    content = alice_client.get(f"/sessions/{session.pk}/").content.decode()

    assert f'id="run-{own.pk}"' in content
    assert f'id="run-{elsewhere.pk}"' not in content
    assert f'id="run-{other.pk}"' not in content


def test_it_never_shows_a_key(alice, alice_client):
    make_provider(owner=alice)
    make_provider(owner=None)

    response = alice_client.get("/", follow=True)

    assert KEY.encode() not in response.content


def test_it_says_when_there_is_no_provider(alice_client, settings):
    settings.PLAYGROUND_LOCAL_MODEL = False

    response = alice_client.get("/", follow=True)

    assert b"No provider is set up yet" in response.content
