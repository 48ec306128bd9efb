"""A run's card as viewers fetch it: the share page does, when its socket's was too large."""

import pytest

from ..factories import API_KEY, make_run

pytestmark = pytest.mark.django_db

SECRETS = (API_KEY, "org-SECRET-HEADER-VALUE")


def shared_run_path(link_share, run) -> str:
    return f"/s/{link_share.token}/runs/{run.pk}/"


def test_a_viewer_gets_the_read_only_card(client, bob, link_share, alice_session):
    run = alice_session.runs.get()
    client.force_login(bob)

    response = client.get(shared_run_path(link_share, run))

    assert response.status_code == 200
    content = response.content.decode()
    assert f'id="run-{run.pk}"' in content and " drops" in content
    for action in ("Restore", "View code", "Open in the editor"):
        assert action not in content
    for secret in SECRETS:
        assert secret not in content


def test_a_run_of_another_session_gets_404(client, bob, alice, link_share):
    other = make_run(alice)
    client.force_login(bob)

    assert client.get(shared_run_path(link_share, other)).status_code == 404


def test_an_unknown_token_gets_404(client, bob, link_share, alice_session):
    client.force_login(bob)

    assert client.get(f"/s/nope/runs/{alice_session.runs.get().pk}/").status_code == 404


def test_anonymous_visitors_get_404_by_default(client, link_share, alice_session):
    assert client.get(shared_run_path(link_share, alice_session.runs.get())).status_code == 404


def test_anonymous_visitors_get_it_when_the_setting_allows(
    client, link_share, alice_session, settings
):
    settings.PLAYGROUND_ANONYMOUS_SHARE_LINKS = True

    assert client.get(shared_run_path(link_share, alice_session.runs.get())).status_code == 200


def test_a_team_member_gets_the_card_and_an_outsider_gets_404(
    client, bob, charlie, team_share, alice_session
):
    path = f"/team/{alice_session.pk}/runs/{alice_session.runs.get().pk}/"
    client.force_login(bob)
    assert client.get(path).status_code == 200

    client.force_login(charlie)
    assert client.get(path).status_code == 404


def test_it_rejects_post(client, bob, link_share, alice_session):
    client.force_login(bob)

    assert client.post(shared_run_path(link_share, alice_session.runs.get())).status_code == 405


def _poll_url(html: str, run) -> str:
    card = html[html.index(f'id="run-{run.pk}"') :]
    tag = card[: card.index(">")]
    return tag[tag.index('hx-get="') + len('hx-get="') :].split('"')[0]


@pytest.mark.parametrize("kind", ["link", "team"])
def test_a_card_still_streaming_polls_a_url_its_viewer_may_read(
    client, bob, alice_session, link_share, team, kind
):
    """The share page's streaming card asks for its update where the viewer may read it."""
    if kind == "team":
        bob.groups.add(team)
        link_share.visibility, link_share.token, link_share.team = "team", None, team
        link_share.save()
        page = f"/team/{alice_session.pk}/"
    else:
        page = f"/s/{link_share.token}/"
    run = alice_session.runs.get()
    run.status = "streaming"
    run.save()
    client.force_login(bob)

    html = client.get(page).content.decode()
    poll = _poll_url(html, run)
    assert poll == f"{page}runs/{run.pk}/"
    polled = client.get(poll).content.decode()
    # The card it answers with polls the same place until the run ends.
    assert _poll_url(polled, run) == poll
