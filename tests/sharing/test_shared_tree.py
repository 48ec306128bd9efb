"""The shared session's tree: the share page's nodes, and each node's document as viewers
fetch it (/s/<token>/runs/<id>/document/?choice=…, /team/<id>/runs/<id>/document/)."""

import json
import re

import pytest

from playground.sharing.models import Visibility

from ..factories import make_run

pytestmark = pytest.mark.django_db


def document_path(share_path: str, run, choice=0) -> str:
    return f"{share_path}runs/{run.pk}/document/?choice={choice}"


def script_data(html: str, element_id: str):
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html)
    assert found, f"no #{element_id} on the page"
    return json.loads(found.group(1))


@pytest.fixture
def link_path(link_share) -> str:
    return f"/s/{link_share.token}/"


def test_a_viewer_gets_a_nodes_document_with_its_looks_and_tokens(client, bob, link_path, branched):
    client.force_login(bob)

    response = client.get(document_path(link_path, branched["branch"]))

    assert response.status_code == 200
    document = response.json()
    assert document["node"] == f"{branched['branch'].pk}:0"
    assert (document["prompt"], document["text"], document["suffix"]) == (
        "Hi drops on in",
        " <i>the</i> roof",
        "!",
    )
    assert document["looks"] == [["p", 2], ["g", 9], ["e", 3], ["p", 1]]
    assert document["tokens"] == [
        [" <i>the</i>", -0.05, {" <i>the</i>": -0.05}],
        [" roof", -2.0, {" roof": -2.0, " car": -0.4}],
    ]


@pytest.mark.parametrize("hidden", ["pruned", "under"])
def test_a_pruned_node_and_those_under_it_are_hidden(client, bob, link_path, branched, hidden):
    client.force_login(bob)

    assert client.get(document_path(link_path, branched[hidden])).status_code == 404
    assert client.get(f"{link_path}runs/{branched[hidden].pk}/").status_code == 404


def test_a_choice_the_run_does_not_have_is_404(client, bob, link_path, branched):
    client.force_login(bob)
    assert client.get(document_path(link_path, branched["branch"], 0)).status_code == 200

    for choice in ("1", "-1", "x", ""):
        url = f"{link_path}runs/{branched['branch'].pk}/document/?choice={choice}"
        assert client.get(url).status_code == 404


def test_a_run_of_another_session_is_404(client, bob, alice, link_path, branched):
    other = make_run(alice)
    client.force_login(bob)

    assert client.get(document_path(link_path, branched["root"])).status_code == 200
    assert client.get(document_path(link_path, other)).status_code == 404


def test_anonymous_visitors_get_404_unless_the_setting_allows(
    client, link_path, branched, settings
):
    path = document_path(link_path, branched["branch"])
    assert client.get(path).status_code == 404

    settings.PLAYGROUND_ANONYMOUS_SHARE_LINKS = True
    assert client.get(path).status_code == 200


def test_a_revoked_link_gives_404(client, bob, link_share, link_path, branched):
    client.force_login(bob)
    path = document_path(link_path, branched["branch"])
    assert client.get(path).status_code == 200

    link_share.visibility, link_share.token = Visibility.PRIVATE, None
    link_share.save()

    assert client.get(path).status_code == 404
    assert client.get(f"{link_path}tree/").status_code == 404


def test_a_team_member_gets_documents_and_an_outsider_gets_404(
    client, bob, charlie, team_share, branched
):
    page = f"/team/{team_share.session_id}/"
    client.force_login(bob)
    assert client.get(document_path(page, branched["branch"])).status_code == 200
    assert client.get(f"{page}tree/").status_code == 200

    client.force_login(charlie)
    assert client.get(document_path(page, branched["branch"])).status_code == 404
    assert client.get(f"{page}tree/").status_code == 404


def test_it_rejects_post(client, bob, link_path, branched):
    client.force_login(bob)

    assert client.post(document_path(link_path, branched["branch"])).status_code == 405


def test_the_tree_lists_the_nodes_viewers_may_see(client, bob, link_path, branched):
    client.force_login(bob)

    nodes = client.get(f"{link_path}tree/").json()["nodes"]

    root, branch = branched["root"], branched["branch"]
    assert [(node["id"], node["parent"], node["forced_text"]) for node in nodes] == [
        (f"{root.pk}:0", None, ""),
        (f"{branch.pk}:0", f"{root.pk}:0", " in"),
    ]


def test_the_share_page_starts_with_the_tree_and_the_owners_node(client, bob, link_path, branched):
    client.force_login(bob)

    html = client.get(link_path).content.decode()

    nodes = script_data(html, "tree-nodes")
    assert [node["id"] for node in nodes] == [
        f"{branched['root'].pk}:0",
        f"{branched['branch'].pk}:0",
    ]
    shown = script_data(html, "shown-document")
    assert shown["node"] == f"{branched['branch'].pk}:0"
    assert shown["text"] == " <i>the</i> roof"
    # Model output goes into the page as JSON that no HTML parser reads as markup.
    assert "<i>the</i>" not in html
    assert "PRUNED-TEXT" not in html and "UNDER-PRUNED" not in html
    assert 'id="fork-node-form"' in html


def test_a_pruned_node_of_the_owner_is_not_shown(client, bob, link_path, alice_session, branched):
    alice_session.node = f"{branched['under'].pk}:0"
    alice_session.save()
    client.force_login(bob)

    html = client.get(link_path).content.decode()

    assert script_data(html, "shown-document") is None
