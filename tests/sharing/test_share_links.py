"""Share links: unguessable, read-only, revocable and replaceable."""

import pytest

from playground.sharing.models import SessionShare, Visibility

from ..factories import API_KEY

pytestmark = pytest.mark.django_db

SECRETS = (API_KEY, "org-SECRET-HEADER-VALUE")


def assert_no_secrets(response):
    content = response.content.decode()
    for secret in SECRETS:
        assert secret not in content


def test_the_owner_shares_by_link(alice_client, alice_session):
    response = alice_client.post(
        f"/sessions/{alice_session.pk}/share/", {"visibility": "link"}, follow=True
    )

    share = SessionShare.objects.get(session=alice_session)
    assert share.visibility == Visibility.LINK
    assert len(share.token) >= 32
    assert f"/s/{share.token}/" in response.content.decode()
    assert "Shared by link, read-only" in response.content.decode()


def test_a_logged_in_user_reads_the_shared_session(client, bob, link_share, alice_session):
    client.force_login(bob)

    response = client.get(f"/s/{link_share.token}/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "Haiku experiments" in content
    assert "Write a haiku about &lt;b&gt;bold&lt;/b&gt; rain" in content
    assert "<b>bold</b>" not in content
    assert " drops" in content and 'data-tip="' in content
    assert "temperature" in content
    assert_no_secrets(response)


def test_the_shared_view_shows_each_parameter_as_set(client, bob, link_share):
    client.force_login(bob)

    content = client.get(f"/s/{link_share.token}/").content.decode()

    assert "0.7" in content
    assert "0, ., 7" not in content


def test_the_shared_view_leaves_out_the_rows_left_empty(client, bob, link_share, alice_session):
    # The form posts its empty stop and logit_bias rows too.
    alice_session.parameters = {
        "stop": ["###", "", ""],
        "logit_bias_token": ["", ""],
        "logit_bias_bias": ["", ""],
    }
    alice_session.save()
    client.force_login(bob)

    content = client.get(f"/s/{link_share.token}/").content.decode()

    assert "<dt>stop</dt>" in content and "###," not in content
    assert "logit_bias" not in content


def test_the_shared_view_offers_no_owner_actions(client, bob, link_share):
    client.force_login(bob)

    content = client.get(f"/s/{link_share.token}/").content.decode()

    assert "Restore" not in content
    assert "View code" not in content
    assert "data-open-choice" not in content  # a run card's "Open in the editor"
    assert 'id="completion-form"' not in content


def test_the_shared_view_shows_no_other_session_of_the_owner(client, bob, alice, link_share):
    from playground.sessions.models import PlaygroundSession

    PlaygroundSession.objects.create(owner=alice, title="Alice's private notes")
    client.force_login(bob)

    content = client.get(f"/s/{link_share.token}/").content.decode()

    assert "Alice&#x27;s private notes" not in content
    assert "Alice's private notes" not in content


def test_an_unknown_token_gets_404(client, bob, link_share):
    client.force_login(bob)

    assert client.get("/s/not-the-token/").status_code == 404


def test_anonymous_visitors_are_sent_to_log_in_by_default(client, link_share):
    response = client.get(f"/s/{link_share.token}/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_anonymous_visitors_may_open_links_when_the_setting_allows(client, link_share, settings):
    settings.PLAYGROUND_ANONYMOUS_SHARE_LINKS = True

    response = client.get(f"/s/{link_share.token}/")

    assert response.status_code == 200
    assert "Fork into my sessions" not in response.content.decode()
    assert_no_secrets(response)


def test_revoking_kills_the_link(alice_client, client, bob, link_share, alice_session):
    token = link_share.token

    alice_client.post(f"/sessions/{alice_session.pk}/share/revoke/")

    client.force_login(bob)
    assert client.get(f"/s/{token}/").status_code == 404
    link_share.refresh_from_db()
    assert link_share.visibility == Visibility.PRIVATE


def test_regenerating_replaces_the_link(alice_client, client, bob, link_share, alice_session):
    old_token = link_share.token

    alice_client.post(f"/sessions/{alice_session.pk}/share/regenerate/")

    link_share.refresh_from_db()
    assert link_share.token != old_token
    client.force_login(bob)
    assert client.get(f"/s/{old_token}/").status_code == 404
    assert client.get(f"/s/{link_share.token}/").status_code == 200


def test_making_the_session_private_kills_the_link(alice_client, client, bob, link_share):
    token = link_share.token

    alice_client.post(f"/sessions/{link_share.session_id}/share/", {"visibility": "private"})

    client.force_login(bob)
    assert client.get(f"/s/{token}/").status_code == 404


def test_a_deleted_session_is_no_longer_shared(client, bob, link_share, alice_session):
    alice_session.move_to_trash()
    client.force_login(bob)

    assert client.get(f"/s/{link_share.token}/").status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/sessions/{pk}/share/", "/sessions/{pk}/share/regenerate/", "/sessions/{pk}/share/revoke/"],
)
def test_only_the_owner_changes_sharing(client, bob, alice_session, path):
    client.force_login(bob)

    response = client.post(path.format(pk=alice_session.pk), {"visibility": "link"})

    assert response.status_code == 404
    assert not SessionShare.objects.filter(session=alice_session, visibility="link").exists()


def test_team_visibility_needs_a_team(alice_client, alice_session):
    response = alice_client.post(f"/sessions/{alice_session.pk}/share/", {"visibility": "team"})

    assert "Choose the team to share with." in response.content.decode()


def test_the_owner_cannot_share_with_a_team_they_are_not_in(alice_client, alice_session, db):
    from django.contrib.auth.models import Group

    stranger_team = Group.objects.create(name="Not alice's")

    response = alice_client.post(
        f"/sessions/{alice_session.pk}/share/", {"visibility": "team", "team": stranger_team.pk}
    )

    assert response.status_code == 200
    assert not SessionShare.objects.filter(session=alice_session, visibility="team").exists()


def test_a_visitor_sent_to_log_in_is_told_why(client, link_share):
    response = client.get(f"/s/{link_share.token}/", follow=True)

    content = response.content.decode()
    assert "<h1>Log in</h1>" in content
    assert "Log in to open the shared session" in content


def test_the_share_page_says_who_a_link_opens_for(alice_client, alice_session, settings):
    page = f"/sessions/{alice_session.pk}/share/"

    assert "asked to log in first" in alice_client.get(page).content.decode()

    settings.PLAYGROUND_ANONYMOUS_SHARE_LINKS = True
    content = alice_client.get(page).content.decode()
    assert "logged in or not" in content
    assert "asked to log in first" not in content
