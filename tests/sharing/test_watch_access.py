"""A viewer's open socket ends when their access to the share ends, whatever ended it."""

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import Group
from django.test import Client

from playground.accounts.sockets import ACCESS_REVOKED_CLOSE_CODE
from playground.sharing.access import ACCESS_ENDED
from playground.sharing.models import SessionShare

from ..execution.helpers import frames_until_closed, receive_until, run_message
from .test_watch_consumer import go_live, point_provider_at

pytestmark = pytest.mark.django_db(transaction=True)


async def assert_cut_off(socket):
    frames, code = await frames_until_closed(socket)
    assert frames[-1] == {"type": "access.revoked", "error": ACCESS_ENDED}
    assert code == ACCESS_REVOKED_CLOSE_CODE
    return frames


async def watching(connect, user, path, **kwargs):
    viewer = await connect(user, path=path, **kwargs)
    assert (await viewer.receive_json_from())["type"] == "live.state"
    return viewer


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def other_team(alice, charlie):
    group = Group.objects.create(name="Other team")
    alice.groups.add(group)
    charlie.groups.add(group)
    return group


async def test_replacing_the_link_cuts_off_its_viewers(connect, alice_client, bob, link_share):
    viewer = await watching(connect, bob, f"/ws/watch/{link_share.token}/")

    await database_sync_to_async(alice_client.post)(
        f"/sessions/{link_share.session_id}/share/regenerate/"
    )

    await assert_cut_off(viewer)
    new_token = (await database_sync_to_async(SessionShare.objects.get)(pk=link_share.pk)).token
    assert await watching(connect, bob, f"/ws/watch/{new_token}/")


async def test_revoking_the_link_cuts_off_its_viewers(connect, alice_client, bob, link_share):
    viewer = await watching(connect, bob, f"/ws/watch/{link_share.token}/")

    await database_sync_to_async(alice_client.post)(
        f"/sessions/{link_share.session_id}/share/revoke/"
    )

    await assert_cut_off(viewer)


async def test_making_the_session_private_cuts_off_its_viewers(
    connect, alice_client, bob, team_share
):
    viewer = await watching(connect, bob, f"/ws/watch/team/{team_share.session_id}/")

    await database_sync_to_async(alice_client.post)(
        f"/sessions/{team_share.session_id}/share/", {"visibility": "private"}
    )

    await assert_cut_off(viewer)


async def test_sharing_with_another_team_cuts_off_who_is_not_in_it(
    connect, alice_client, bob, charlie, team_share, other_team
):
    viewer = await watching(connect, bob, f"/ws/watch/team/{team_share.session_id}/")

    await database_sync_to_async(alice_client.post)(
        f"/sessions/{team_share.session_id}/share/",
        {"visibility": "team", "team": other_team.pk},
    )

    await assert_cut_off(viewer)
    # The new team may watch.
    assert await watching(connect, charlie, f"/ws/watch/team/{team_share.session_id}/")


@pytest.mark.parametrize("side", ["user.groups", "group.user_set"])
async def test_leaving_the_team_cuts_off_its_viewer(connect, bob, team, team_share, side):
    viewer = await watching(connect, bob, f"/ws/watch/team/{team_share.session_id}/")

    if side == "user.groups":
        await database_sync_to_async(bob.groups.remove)(team)
    else:
        await database_sync_to_async(team.user_set.remove)(bob)

    await assert_cut_off(viewer)


async def test_a_team_emptied_cuts_off_its_viewers(connect, bob, team, team_share):
    viewer = await watching(connect, bob, f"/ws/watch/team/{team_share.session_id}/")

    await database_sync_to_async(team.user_set.clear)()

    await assert_cut_off(viewer)


async def test_deleting_the_team_cuts_off_its_viewers(connect, bob, team, team_share):
    viewer = await watching(connect, bob, f"/ws/watch/team/{team_share.session_id}/")

    await database_sync_to_async(team.delete)()

    await assert_cut_off(viewer)


async def test_a_session_moved_to_the_trash_cuts_off_its_viewers(connect, bob, link_share):
    viewer = await watching(connect, bob, f"/ws/watch/{link_share.token}/")

    await database_sync_to_async(link_share.session.move_to_trash)()

    await assert_cut_off(viewer)


async def demo_reaches(presenter, provider, session, viewer):
    """Whether a run the presenter starts now reaches this viewer. What reaches one socket
    keeps its order, so the viewer has handled every message sent to it before the run."""
    await presenter.send_json_to(run_message(provider, session=session.pk, prompt="Rain"))
    await receive_until(presenter, "run.finished")
    seen = await receive_until(viewer, "run.finished")
    return seen[0]["type"] == "run.started"


async def test_a_viewer_who_logs_out_is_cut_off(connect, alice, bob, team_share, upstream):
    session = team_share.session
    provider = await point_provider_at(session, upstream)
    presenter, _ = await go_live(connect, alice, session)
    bob_client = await database_sync_to_async(logged_in)(bob)
    path = f"/ws/watch/team/{session.pk}/"
    viewer = await watching(connect, None, path, client=bob_client)
    elsewhere = await watching(connect, bob, path)

    await database_sync_to_async(bob_client.post)("/accounts/logout/")

    await assert_cut_off(viewer)
    # Bob's other login, in another browser, goes on watching.
    assert await demo_reaches(presenter, provider, session, elsewhere)


async def test_a_viewer_of_an_open_link_who_logs_out_may_go_on(
    connect, alice, bob, link_share, upstream, settings
):
    settings.PLAYGROUND_ANONYMOUS_SHARE_LINKS = True
    session = link_share.session
    provider = await point_provider_at(session, upstream)
    presenter, _ = await go_live(connect, alice, session)
    bob_client = await database_sync_to_async(logged_in)(bob)
    viewer = await watching(connect, None, f"/ws/watch/{link_share.token}/", client=bob_client)

    await database_sync_to_async(bob_client.post)("/accounts/logout/")

    # As anyone may open the link, so may Bob, logged out.
    assert await demo_reaches(presenter, provider, session, viewer)


async def test_a_change_that_keeps_the_share_keeps_its_viewers(
    connect, alice, alice_client, bob, link_share, upstream
):
    session = link_share.session
    provider = await point_provider_at(session, upstream)
    presenter, _ = await go_live(connect, alice, session)
    viewer = await watching(connect, bob, f"/ws/watch/{link_share.token}/")

    await database_sync_to_async(alice_client.post)(
        f"/sessions/{session.pk}/share/", {"visibility": "link"}
    )

    assert await demo_reaches(presenter, provider, session, viewer)


async def test_a_revoke_ends_the_presenters_relay(
    connect, alice, alice_client, bob, charlie, link_share, upstream
):
    session = link_share.session
    provider = await point_provider_at(session, upstream)
    presenter, _ = await go_live(connect, alice, session)
    viewer = await watching(connect, bob, f"/ws/watch/{link_share.token}/")

    await database_sync_to_async(alice_client.post)(f"/sessions/{session.pk}/share/revoke/")

    frames = await assert_cut_off(viewer)
    assert [f["type"] for f in frames] == ["live.ended", "access.revoked"]
    assert (await receive_until(presenter, "live.ended"))[-1] == {"type": "live.ended"}
    # Shared again under a new link, without going live again: a run reaches nobody.
    await database_sync_to_async(alice_client.post)(f"/sessions/{session.pk}/share/regenerate/")
    token = (await database_sync_to_async(SessionShare.objects.get)(pk=link_share.pk)).token
    newcomer = await connect(charlie, path=f"/ws/watch/{token}/")
    assert (await newcomer.receive_json_from())["live"] is False
    await presenter.send_json_to(run_message(provider, session=session.pk, prompt="Rain"))
    await receive_until(presenter, "run.finished")
    await presenter.send_json_to({"action": "live.start", "session": session.pk})
    await receive_until(presenter, "live.started")

    # The newcomer's next frame is the new demo's: the run before it was not relayed.
    next_frame = await newcomer.receive_json_from()
    assert (next_frame["type"], next_frame["live"]) == ("live.state", True)
    assert await viewer.receive_nothing()


async def test_a_presenter_whose_login_ends_ends_the_demo(connect, alice, bob, link_share):
    alice_client = await database_sync_to_async(logged_in)(alice)
    presenter = await connect(client=alice_client)
    await presenter.send_json_to({"action": "live.start", "session": link_share.session_id})
    await receive_until(presenter, "live.started")
    viewer = await watching(connect, bob, f"/ws/watch/{link_share.token}/")

    await database_sync_to_async(alice_client.post)("/accounts/logout/")

    frames, code = await frames_until_closed(presenter)
    assert (frames[-1]["type"], code) == ("access.revoked", ACCESS_REVOKED_CLOSE_CODE)
    assert (await receive_until(viewer, "live.ended"))[-1] == {"type": "live.ended"}
    assert not (await database_sync_to_async(SessionShare.objects.get)(pk=link_share.pk)).is_live
