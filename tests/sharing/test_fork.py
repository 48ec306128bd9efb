"""Forking: a viewer's own copy, with no secret of the owner's."""

import json

import pytest
from django.db import transaction

from playground.execution.limits import refusal_to_start
from playground.providers.models import Provider
from playground.runs.models import Run
from playground.sessions.models import PlaygroundSession

from ..factories import API_KEY, make_provider

pytestmark = pytest.mark.django_db


def test_a_viewer_forks_a_link_share(client, bob, link_share, alice_session):
    client.force_login(bob)

    response = client.post(f"/s/{link_share.token}/fork/")

    fork = PlaygroundSession.objects.get(owner=bob)
    assert response.status_code == 302
    assert response.url == f"/sessions/{fork.pk}/"
    assert fork.prompt == alice_session.prompt
    assert fork.parameters == alice_session.parameters
    assert fork.runs.count() == 1
    assert fork.runs.get().choices == alice_session.runs.get().choices
    assert fork.runs.get().sent_requests == [{"times": 2, "changed": {"n": 1}}]
    assert fork.runs.get().owner == bob


def test_a_forks_copies_take_none_of_the_runs_a_minute(client, bob, link_share, settings):
    # alice_session's run was made just now; its copy keeps that time.
    settings.PLAYGROUND_RUNS_PER_MINUTE = 1
    client.force_login(bob)

    client.post(f"/s/{link_share.token}/fork/")

    assert Run.objects.filter(owner=bob).count() == 1
    with transaction.atomic():
        assert refusal_to_start(bob) == ""


def test_a_fork_never_uses_the_owners_personal_provider(client, bob, link_share):
    bobs = make_provider(owner=bob, name="Bob's own")
    client.force_login(bob)

    client.post(f"/s/{link_share.token}/fork/")

    fork = PlaygroundSession.objects.get(owner=bob)
    assert fork.provider == bobs
    run = fork.runs.get()
    assert run.provider is None or run.provider.owner_id in (None, bob.pk)
    assert run.form_state["provider"] == str(bobs.pk)


def test_a_fork_keeps_a_shared_provider(client, bob, link_share, alice_session):
    shared = make_provider(owner=None, name="Everyone's")
    alice_session.provider = shared
    alice_session.save()
    client.force_login(bob)

    client.post(f"/s/{link_share.token}/fork/")

    assert PlaygroundSession.objects.get(owner=bob).provider == shared


def test_a_fork_holds_no_secret(client, bob, link_share):
    client.force_login(bob)
    client.post(f"/s/{link_share.token}/fork/")
    fork = PlaygroundSession.objects.get(owner=bob)

    exported = client.get(f"/sessions/{fork.pk}/export/").content.decode()
    page = client.get(f"/sessions/{fork.pk}/").content.decode()

    for text in (exported, page, json.dumps([r.form_state for r in Run.objects.filter(owner=bob)])):
        assert API_KEY not in text
        assert "org-SECRET-HEADER-VALUE" not in text
    assert Provider.objects.filter(owner=bob).count() == 0


def test_a_team_member_forks_a_team_share(client, bob, team_share):
    client.force_login(bob)

    response = client.post(f"/team/{team_share.session_id}/fork/")

    assert response.status_code == 302
    assert PlaygroundSession.objects.filter(owner=bob).count() == 1


def test_forking_needs_a_login(client, link_share, settings):
    settings.PLAYGROUND_ANONYMOUS_SHARE_LINKS = True

    response = client.post(f"/s/{link_share.token}/fork/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    assert not PlaygroundSession.objects.exclude(owner=link_share.session.owner).exists()
