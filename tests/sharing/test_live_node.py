"""Live demos follow the presenter through the tree: the live.state frame names the node the
presenter's editor shows, as its autosave posts it."""

import pytest
from channels.db import database_sync_to_async

from ..execution.helpers import receive_until

pytestmark = pytest.mark.django_db(transaction=True)


async def go_live(connect, alice, session):
    presenter = await connect(alice)
    await presenter.send_json_to({"action": "live.start", "session": session.pk})
    await receive_until(presenter, "live.started")
    return presenter


def autosave(client, session, node: str):
    return database_sync_to_async(client.post)(
        f"/sessions/{session.pk}/autosave/",
        {"provider": session.provider_id, "model": "fake-model", "prompt": "Hi", "node": node},
    )


async def test_a_viewer_starts_with_the_presenters_node(connect, bob, link_share, branched):
    viewer = await connect(bob, path=f"/ws/watch/{link_share.token}/")

    state = await viewer.receive_json_from()

    assert state["node"] == f"{branched['branch'].pk}:0"
    await viewer.disconnect()


async def test_a_branch_move_reaches_the_viewers(
    connect, alice, alice_client, bob, link_share, branched
):
    session = link_share.session
    presenter = await go_live(connect, alice, session)
    viewer = await connect(bob, path=f"/ws/watch/{link_share.token}/")
    await viewer.receive_json_from()

    await autosave(alice_client, session, f"{branched['root'].pk}:0")

    state = (await receive_until(viewer, "live.state"))[-1]
    assert state["live"] is True
    assert state["node"] == f"{branched['root'].pk}:0"
    await presenter.disconnect()
    await viewer.disconnect()


async def test_a_pruned_node_is_not_shown_to_viewers(
    connect, alice, alice_client, bob, link_share, branched
):
    session = link_share.session
    presenter = await go_live(connect, alice, session)
    viewer = await connect(bob, path=f"/ws/watch/{link_share.token}/")
    await viewer.receive_json_from()

    await autosave(alice_client, session, f"{branched['under'].pk}:0")

    state = (await receive_until(viewer, "live.state"))[-1]
    assert state["node"] == ""
    await presenter.disconnect()
    await viewer.disconnect()


async def test_a_pruned_branch_makes_the_viewers_ask_for_the_tree_again(
    connect, alice, alice_client, bob, link_share, branched
):
    session = link_share.session
    presenter = await go_live(connect, alice, session)
    viewer = await connect(bob, path=f"/ws/watch/{link_share.token}/")
    await viewer.receive_json_from()

    await database_sync_to_async(alice_client.post)(f"/runs/{branched['branch'].pk}/prune/")
    assert (await receive_until(viewer, "tree.changed"))[-1] == {"type": "tree.changed"}
    await database_sync_to_async(alice_client.post)(f"/runs/{branched['branch'].pk}/unprune/")
    assert (await receive_until(viewer, "tree.changed"))[-1] == {"type": "tree.changed"}
    await presenter.disconnect()
    await viewer.disconnect()


async def test_a_prune_while_not_live_sends_nothing(
    connect, alice_client, bob, link_share, branched
):
    viewer = await connect(bob, path=f"/ws/watch/{link_share.token}/")
    await viewer.receive_json_from()

    await database_sync_to_async(alice_client.post)(f"/runs/{branched['branch'].pk}/prune/")

    assert await viewer.receive_nothing(timeout=0.2)
    await viewer.disconnect()
