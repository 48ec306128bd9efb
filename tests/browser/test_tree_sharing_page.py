"""The tree on the share page: a viewer follows the presenter's branch moves, watches a run
stream into the document, then forks at a node into a session of their own."""

import os
import re

import pytest
from playwright.sync_api import expect

from ..fake_upstream import SSE, completion_chunk

pytestmark = pytest.mark.browser

SCREENSHOT = os.environ.get("SHARE_TREE_SCREENSHOT")


def with_logprobs(words: list[str], start: int = 0) -> list:
    return [
        completion_chunk(
            word,
            logprobs={
                "tokens": [word],
                "token_logprobs": [-0.05 * (i + 1) * (i + 1)],
                "top_logprobs": [{word: -0.05, " hail": -2.5}],
                "text_offset": [start + i],
            },
        )
        for i, word in enumerate(words)
    ] + [completion_chunk("", finish_reason="stop")]


@pytest.fixture
def tree(daphne_server, live_alice, shared_session):
    """The shared session's tree: a root with two choices, and a branch from choice 1 with
    " falls" put in. The owner's editor shows the root's choice 0. {"root", "branch"}: ids."""
    return daphne_server.django(
        """
        from playground.runs.models import Run
        from playground.sessions.models import PlaygroundSession

        def choice(index, tokens, lps):
            return {"index": index, "text": "".join(tokens), "finish_reason": "length",
                    "logprobs": {"tokens": tokens, "token_logprobs": lps,
                                 "top_logprobs": [{t: lp} for t, lp in zip(tokens, lps)]}}

        session = PlaygroundSession.objects.get(pk=params["id"])
        common = dict(owner_id=params["owner"], session=session, provider_name="Fake",
                      model="fake-model", status="completed")
        root = Run.objects.create(
            request_body={"model": "fake-model", "prompt": "Rain", "n": 2, "logprobs": 1},
            choices=[choice(0, [" on", " the", " roof"], [-0.1, -0.4, -2.3]),
                     choice(1, [" <b>at</b>", " dusk"], [-1.2, -0.2])],
            looks=[["p", 4]], **common)
        branch = Run.objects.create(
            request_body={"model": "fake-model", "prompt": "Rain <b>at</b> falls", "logprobs": 1},
            choices=[choice(0, [" softly", "."], [-0.9, -0.05])],
            parent=root, parent_choice=1, branch_token=1, forced_text=" falls",
            looks=[["p", 4], ["g", 10], ["g", 6]], **common)
        session.prompt = "Rain on the roof"
        session.looks = [["p", 4], ["g", 12]]
        session.node = f"{root.pk}:0"
        session.save()
        result = {"root": root.pk, "branch": branch.pk}
        """,
        id=shared_session["id"],
        owner=live_alice.pk,
    )


def test_a_viewer_follows_the_presenters_branch_moves_and_forks_at_a_node(
    daphne_server, new_context, live_alice, shared_session, tree, upstream
):
    bob = daphne_server.create_user("bob")
    presenter = new_context(user=live_alice).new_page()
    viewer = new_context(user=bob).new_page()
    presenter.goto(f"/sessions/{shared_session['id']}/present/")
    expect(presenter.locator("#socket-state")).to_have_attribute("data-state", "open")
    viewer.goto(f"/s/{shared_session['token']}/")
    expect(viewer.locator("#watch")).to_have_attribute("data-socket", "open")
    presenter.get_by_role("button", name="Go live").click()
    expect(viewer.locator("#live-state")).to_have_text("Live now")

    # The viewer starts on the node the presenter's editor shows, in its looks and tints.
    document = viewer.locator("#shared-document")
    expect(document).to_have_text("Rain on the roof")
    expect(document.locator(".look-typed")).to_have_text(["Rain"])
    expect(document.locator(".tok")).to_have_text([" on", " the", " roof"])
    expect(document.locator(".tok").last).to_have_class("look-generated tok p1")
    items = viewer.locator("#tree [role=treeitem]")
    expect(items).to_have_count(3)

    # The presenter moves to the branch, in the editor of the session (a tab of its own:
    # presenter mode shows no tree); its autosave names the node, the viewer follows.
    editor = new_context(user=live_alice).new_page()
    editor.goto(f"/sessions/{shared_session['id']}/")
    editor.locator(f'#tree [role=treeitem][data-node="{tree["branch"]}:0"]').click()
    expect(editor.locator("#save-state")).to_have_text("Saved")
    expect(document).to_have_text("Rain <b>at</b> falls softly.")
    expect(document.locator(".look-generated")).to_have_text(
        [" <b>at</b>", " falls", " softly", "."]
    )
    # What the branch's parent generated keeps its odds there, as in the editor; the text
    # put in (" falls") has none.
    expect(document.locator(".tok")).to_have_text([" <b>at</b>", " softly", "."])
    expect(document.locator(".tok").first).to_have_class("look-generated tok p3")
    expect(viewer.locator("#document-caption")).to_contain_text("the presenter's")
    branch_item = viewer.locator(f'#tree [role=treeitem][data-node="{tree["branch"]}:0"]')
    expect(branch_item).to_have_attribute("aria-selected", "true")
    if SCREENSHOT:
        viewer.screenshot(path=SCREENSHOT, full_page=True)

    # The presenter prunes that branch: it leaves the viewer's tree at once, and the viewer
    # is told; brought back, it is there again.
    editor.locator(f'#tree [role=treeitem][data-node="{tree["branch"]}:0"]').focus()
    editor.keyboard.press("Delete")
    expect(items).to_have_count(2)
    expect(viewer.locator("#document-caption")).to_contain_text("The presenter pruned the branch")
    editor.get_by_role("button", name="Undo prune").click()
    expect(items).to_have_count(3)

    # A presented run streams into the viewer's document, tinted token by token.
    upstream.script(SSE(with_logprobs([" Hail", " stops", "."]), delay=0.2))
    presenter.keyboard.press("Control+Enter")
    expect(document.locator(".tok")).to_have_text([" Hail", " stops", "."])
    expect(items).to_have_count(4)
    # Once the run is stored, the presenter's editor shows its node, and so does the viewer.
    latest = daphne_server.django(
        "from playground.runs.models import Run\nresult = Run.objects.latest('id').pk"
    )
    expect(viewer.locator("#document-caption")).to_contain_text(
        f"Node {latest}:0 (the presenter's)"
    )
    # Its prompt still holds what the root generated: those tokens keep their odds too.
    expect(document.locator(".tok")).to_have_text([" on", " the", " roof", " Hail", " stops", "."])

    # The viewer chooses a node of their own and forks there.
    viewer.locator(f'#tree [data-node="{tree["root"]}:1"] > .node-label').click()
    expect(document).to_have_text("Rain <b>at</b> dusk")
    viewer.get_by_role("button", name="Fork at this node").click()
    expect(viewer).to_have_url(re.compile(r"/sessions/\d+/$"))
    assert not viewer.url.endswith(f"/sessions/{shared_session['id']}/")
    expect(viewer.get_by_label("Prompt", exact=True)).to_have_value("Rain <b>at</b> dusk")
    expect(viewer.locator("#tree [role=treeitem]")).to_have_count(2)


def test_fork_at_a_node_shows_only_once_a_node_is_chosen(
    daphne_server, new_context, live_alice, shared_session, tree
):
    daphne_server.django(
        """
        from playground.sessions.models import PlaygroundSession
        PlaygroundSession.objects.filter(pk=params["id"]).update(node="")
        """,
        id=shared_session["id"],
    )
    viewer = new_context(user=daphne_server.create_user("bob")).new_page()
    viewer.goto(f"/s/{shared_session['token']}/")
    expect(viewer.locator("#document-caption")).to_have_text("Choose a branch to see its document.")
    fork = viewer.get_by_role("button", name="Fork at this node")
    expect(fork).to_be_hidden()

    viewer.locator(f'#tree [data-node="{tree["root"]}:1"] > .node-label').click()
    expect(viewer.locator("#shared-document")).to_have_text("Rain <b>at</b> dusk")
    expect(fork).to_be_visible()
