"""Team sessions: read-only for the team's members, invisible to everyone else."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_team_member_reads_the_session(client, bob, team_share):
    client.force_login(bob)

    response = client.get(f"/team/{team_share.session_id}/")

    assert response.status_code == 200
    assert "Haiku experiments" in response.content.decode()


def test_an_outsider_gets_404(client, charlie, team_share):
    client.force_login(charlie)

    assert client.get(f"/team/{team_share.session_id}/").status_code == 404
    assert client.post(f"/team/{team_share.session_id}/fork/").status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, team_share):
    response = client.get(f"/team/{team_share.session_id}/")

    assert response.status_code == 302


def test_a_team_session_has_no_link(client, bob, team_share):
    assert team_share.token is None


def test_a_private_session_is_not_shown_to_the_team(client, bob, alice_session, team):
    client.force_login(bob)

    assert client.get(f"/team/{alice_session.pk}/").status_code == 404


def test_a_link_share_is_not_a_team_share(client, bob, link_share, team):
    client.force_login(bob)

    assert client.get(f"/team/{link_share.session_id}/").status_code == 404


def test_the_team_member_cannot_open_the_owners_session_page(client, bob, team_share):
    client.force_login(bob)

    assert client.get(f"/sessions/{team_share.session_id}/").status_code == 404
    assert client.post(f"/sessions/{team_share.session_id}/autosave/", {}).status_code == 404


def test_team_sessions_lists_other_members_sessions_only(bob, charlie, team_share, alice):
    from playground.sharing.access import team_sessions

    assert list(team_sessions(bob)) == [team_share.session]
    assert list(team_sessions(charlie)) == []
    assert list(team_sessions(alice)) == []
