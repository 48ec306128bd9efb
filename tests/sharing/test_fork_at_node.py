"""Forking a shared session's tree: the whole of it, or at one node, into the viewer's own."""

import pytest

from playground.runs.models import Run
from playground.sessions.models import PlaygroundSession
from playground.sharing.models import Visibility

pytestmark = pytest.mark.django_db


def fork(client, share_path: str, node: str = ""):
    return client.post(f"{share_path}fork/", {"node": node} if node else {})


def test_a_fork_at_a_node_takes_its_document_and_its_path(client, bob, link_share, branched):
    root, branch = branched["root"], branched["branch"]
    client.force_login(bob)

    response = fork(client, f"/s/{link_share.token}/", f"{branch.pk}:0")

    forked = PlaygroundSession.objects.get(owner=bob)
    assert response.status_code == 302
    assert response.url == f"/sessions/{forked.pk}/"
    # The document: the node's prompt, its choice's text, its suffix, as the editor keeps it.
    assert forked.prompt == "Hi drops on in <i>the</i> roof!"
    assert forked.parameters["suffix"] == ""
    assert forked.looks == [["p", 2], ["g", 9], ["e", 3], ["g", 16], ["p", 1]]
    # The runs: the path from the root to the node, linked as they were.
    new_root, new_branch = forked.runs.order_by("created_at", "id")
    assert new_root.choices == root.choices and new_root.parent is None
    assert (new_branch.parent, new_branch.parent_choice) == (new_root, 0)
    assert (new_branch.branch_token, new_branch.forced_text) == (2, " in")
    assert new_branch.looks == branch.looks
    assert forked.node == f"{new_branch.pk}:0"
    assert {new_root.owner, new_branch.owner} == {bob}


def test_a_fork_at_a_root_takes_that_run_alone(client, bob, link_share, branched):
    client.force_login(bob)

    fork(client, f"/s/{link_share.token}/", f"{branched['root'].pk}:0")

    forked = PlaygroundSession.objects.get(owner=bob)
    assert forked.prompt == "Hi drops on the window"
    assert forked.looks == [["p", 2], ["g", 20]]
    assert forked.runs.count() == 1


def test_the_whole_fork_keeps_the_tree_but_not_what_was_pruned(
    client, bob, link_share, alice_session, branched
):
    client.force_login(bob)

    fork(client, f"/s/{link_share.token}/")

    forked = PlaygroundSession.objects.get(owner=bob)
    assert forked.prompt == alice_session.prompt
    new_root, new_branch = forked.runs.order_by("created_at", "id")
    assert (new_branch.parent, new_branch.forced_text) == (new_root, " in")
    assert forked.node == f"{new_branch.pk}:0"
    texts = [choice["text"] for run in forked.runs.all() for choice in run.choices]
    assert " PRUNED-TEXT" not in texts and " UNDER-PRUNED" not in texts


@pytest.mark.parametrize("hidden", ["pruned", "under"])
def test_a_fork_at_a_hidden_node_is_refused(client, bob, link_share, branched, hidden):
    client.force_login(bob)

    response = fork(client, f"/s/{link_share.token}/", f"{branched[hidden].pk}:0")

    assert response.status_code == 302
    assert response.url == f"/s/{link_share.token}/"
    page = client.get(response.url).content.decode()
    assert "Nothing was forked: That node is no longer in the shared session" in page
    assert not PlaygroundSession.objects.filter(owner=bob).exists()


def test_a_fork_at_a_node_of_another_session_is_refused(client, bob, alice, link_share, branched):
    other = Run.objects.create(
        owner=alice, model="m", provider_name="p", request_body={"prompt": "secret"}
    )
    client.force_login(bob)

    fork(client, f"/s/{link_share.token}/", f"{other.pk}:0")

    assert not PlaygroundSession.objects.filter(owner=bob).exists()


def test_access_is_checked_again_when_forking(client, bob, link_share, branched):
    client.force_login(bob)
    path = f"/s/{link_share.token}/"
    fork(client, path, f"{branched['root'].pk}:0")
    assert PlaygroundSession.objects.get(owner=bob).runs.count() == 1
    PlaygroundSession.objects.filter(owner=bob).delete()

    link_share.visibility, link_share.token = Visibility.PRIVATE, None
    link_share.save()

    assert fork(client, path, f"{branched['branch'].pk}:0").status_code == 404
    assert not PlaygroundSession.objects.filter(owner=bob).exists()


def test_a_team_member_forks_at_a_node_and_leaves_the_team_after(
    client, bob, team, team_share, branched
):
    page = f"/team/{team_share.session_id}/"
    client.force_login(bob)

    fork(client, page, f"{branched['branch'].pk}:0")
    assert PlaygroundSession.objects.get(owner=bob).prompt == "Hi drops on in <i>the</i> roof!"

    bob.groups.remove(team)
    assert fork(client, page, f"{branched['branch'].pk}:0").status_code == 404
    assert PlaygroundSession.objects.filter(owner=bob).count() == 1


def test_the_whole_fork_keeps_a_comparison_on_the_viewers_provider(
    client, alice, bob, link_share, alice_session
):
    from playground.runs.models import Comparison

    from ..factories import make_provider, make_run

    comparison = Comparison.objects.create(
        owner=alice,
        session=alice_session,
        columns=[
            {"provider": str(alice_session.provider_id), "model": "m-a"},
            {"provider": str(alice_session.provider_id), "model": "m-b"},
        ],
    )
    for column in (0, 1):
        make_run(alice, session=alice_session, comparison=comparison, column=column)
    bobs = make_provider(owner=bob, name="Bob's own")
    client.force_login(bob)

    fork(client, f"/s/{link_share.token}/")

    forked = PlaygroundSession.objects.get(owner=bob)
    [copy] = Comparison.objects.filter(session=forked)
    assert copy.owner == bob
    assert [column["provider"] for column in copy.columns] == [str(bobs.pk)] * 2
    assert [run.column for run in copy.runs.order_by("column")] == [0, 1]
    assert Run.objects.filter(comparison=comparison).count() == 2
