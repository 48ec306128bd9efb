"""Runs from the editor grow the session's tree: where each one grows is checked and kept."""

import json

import pytest
from asgiref.sync import sync_to_async

from playground.runs import tree
from playground.runs.models import Run
from playground.sessions.models import PlaygroundSession

from ..fake_upstream import SSE, completion_chunk, token_stream
from .helpers import run_and_collect, run_message

pytestmark = pytest.mark.django_db(transaction=True)


def logprobs_chunk(token, logprob):
    logprobs = {"tokens": [token], "token_logprobs": [logprob], "top_logprobs": [{token: logprob}]}
    return completion_chunk(token, logprobs=logprobs)


@sync_to_async
def new_session(owner) -> PlaygroundSession:
    return PlaygroundSession.objects.create(owner=owner)


@sync_to_async
def stored(run_id) -> Run:
    return Run.objects.get(pk=run_id)


@sync_to_async
def session_nodes(session) -> list[dict]:
    return tree.nodes(session.runs.all())


def finished(frames) -> dict:
    return next(f for f in frames if f["type"] in ("run.finished", "form.invalid"))


async def test_a_branch_keeps_its_parent_branch_point_forced_token_and_looks(
    alice, alice_provider, alice_socket, upstream
):
    upstream.script(
        SSE([logprobs_chunk(" cats", -0.5), logprobs_chunk(" sleep", -0.3), completion_chunk("")]),
        SSE(token_stream([" bark"])),
    )
    session = await new_session(alice)
    first = finished(
        await run_and_collect(
            alice_socket, run_message(alice_provider, session=session.pk, prompt="I like")
        )
    )
    looks = [["p", 6], ["g", 5]]
    second = finished(
        await run_and_collect(
            alice_socket,
            run_message(
                alice_provider,
                session=session.pk,
                prompt="I like dogs",
                parent=f"{first['run']}:0",
                branch_token="0",
                forced_text=" dogs",
                looks=json.dumps(looks),
            ),
        )
    )
    assert second["type"] == "run.finished"
    run = await stored(second["run"])
    assert (run.parent_id, run.parent_choice, run.branch_token, run.forced_text) == (
        first["run"],
        0,
        0,
        " dogs",
    )
    assert run.looks == looks
    nodes = await session_nodes(session)
    assert [(n["id"], n["parent"]) for n in nodes] == [
        (f"{first['run']}:0", None),
        (f"{second['run']}:0", f"{first['run']}:0"),
    ]
    assert nodes[0]["tokens"] == 2
    assert nodes[1]["forced_text"] == " dogs"


async def test_n_choices_are_sibling_nodes(alice, alice_provider, alice_socket, upstream):
    upstream.script(
        SSE([completion_chunk("a", index=0), completion_chunk("b", index=1), completion_chunk("")])
    )
    session = await new_session(alice)
    frame = finished(
        await run_and_collect(
            alice_socket, run_message(alice_provider, session=session.pk, prompt="x", n="2")
        )
    )
    nodes = await session_nodes(session)
    assert [(n["id"], n["parent"]) for n in nodes] == [
        (f"{frame['run']}:0", None),
        (f"{frame['run']}:1", None),
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"parent": "999:0"}, "no longer in this session's tree"),
        ({"parent": "{run}:3"}, "no longer in this session's tree"),
        ({"parent": "{run}:0", "branch_token": "7"}, "past the end of its choice"),
        ({"branch_token": "0"}, "needs the node it branches from"),
        ({"looks": '[["p", 2]]'}, "does not match the prompt"),
        ({"looks": '[["x", 11]]'}, "does not match the prompt"),
        ({"looks": "not json"}, "does not match the prompt"),
    ],
)
async def test_a_placement_that_does_not_fit_the_tree_is_refused_and_nothing_runs(
    alice, alice_provider, alice_socket, upstream, fields, message
):
    # With logprobs, so that the choice's tokens are known: two.
    upstream.script(SSE([logprobs_chunk(" one", -1.0), logprobs_chunk(" two", -1.0)]))
    session = await new_session(alice)
    first = finished(
        await run_and_collect(
            alice_socket, run_message(alice_provider, session=session.pk, prompt="x")
        )
    )
    fields = {name: value.replace("{run}", str(first["run"])) for name, value in fields.items()}
    frame = finished(
        await run_and_collect(
            alice_socket,
            run_message(alice_provider, session=session.pk, prompt="Hello world", **fields),
        )
    )
    assert frame["type"] == "form.invalid"
    assert message in " ".join(frame["errors"]["__all__"])
    assert len(upstream.completion_requests) == 1


async def test_a_parent_from_another_session_is_refused(
    alice, alice_provider, alice_socket, upstream
):
    upstream.script(SSE(token_stream([" one"])))
    elsewhere = await new_session(alice)
    first = finished(
        await run_and_collect(
            alice_socket, run_message(alice_provider, session=elsewhere.pk, prompt="x")
        )
    )
    session = await new_session(alice)
    frame = finished(
        await run_and_collect(
            alice_socket,
            run_message(alice_provider, session=session.pk, prompt="y", parent=f"{first['run']}:0"),
        )
    )
    assert frame["type"] == "form.invalid"
    assert len(upstream.completion_requests) == 1


async def test_a_pruned_run_hides_what_grew_from_it_until_it_is_back(
    alice, alice_provider, alice_socket, alice_client, upstream
):
    upstream.script(SSE(token_stream([" one"])), SSE(token_stream([" two"])))
    session = await new_session(alice)
    first = finished(
        await run_and_collect(
            alice_socket, run_message(alice_provider, session=session.pk, prompt="x")
        )
    )
    second = finished(
        await run_and_collect(
            alice_socket,
            run_message(
                alice_provider, session=session.pk, prompt="x one", parent=f"{first['run']}:0"
            ),
        )
    )
    post = sync_to_async(alice_client.post)
    # The child pruned first, then its parent: one pruned branch, of both runs.
    inner = await post(f"/runs/{second['run']}/prune/")
    assert [branch["run"] for branch in inner.json()["pruned"]] == [second["run"]]
    pruned = await post(f"/runs/{first['run']}/prune/")
    assert pruned.json()["nodes"] == []
    [branch] = pruned.json()["pruned"]
    assert (branch["run"], branch["label"], branch["runs"]) == (first["run"], "one", 2)
    tree = await sync_to_async(alice_client.get)(f"/sessions/{session.pk}/tree/")
    assert tree.json()["pruned"] == pruned.json()["pruned"]
    # The parent back, the child is still pruned, on its own; then it is back too.
    back = await post(f"/runs/{first['run']}/unprune/")
    assert [n["id"] for n in back.json()["nodes"]] == [f"{first['run']}:0"]
    assert [branch["run"] for branch in back.json()["pruned"]] == [second["run"]]
    back = await post(f"/runs/{second['run']}/unprune/")
    assert [n["id"] for n in back.json()["nodes"]] == [f"{first['run']}:0", f"{second['run']}:0"]
    assert back.json()["pruned"] == []


async def test_a_node_document_is_its_prompt_its_choice_and_its_suffix(
    alice, alice_provider, alice_socket, alice_client, bob_client, upstream
):
    upstream.script(SSE([logprobs_chunk(" and", -0.1), completion_chunk("")]))
    session = await new_session(alice)
    frame = finished(
        await run_and_collect(
            alice_socket,
            run_message(
                alice_provider,
                session=session.pk,
                prompt="Start.",
                suffix=" End.",
                looks='[["p", 6], ["g", 5]]',
            ),
        )
    )
    response = await sync_to_async(alice_client.get)(f"/runs/{frame['run']}/document/?choice=0")
    assert response.json() == {
        "node": f"{frame['run']}:0",
        "prompt": "Start.",
        "suffix": " End.",
        "looks": [["p", 6], ["g", 5]],
        "text": " and",
        "tokens": [[" and", -0.1, {" and": -0.1}]],
        "prompt_tokens": [],
        "status": "completed",
        "finish_reason": None,
    }
    # Another user's run is not found.
    other = await sync_to_async(bob_client.get)(f"/runs/{frame['run']}/document/?choice=0")
    assert other.status_code == 404


async def test_a_finished_run_becomes_its_sessions_document_at_once(
    alice, alice_provider, alice_socket, upstream
):
    """So that a reload before the page's own save shows the completion too."""
    upstream.script(SSE([logprobs_chunk(" and", -0.1), completion_chunk("")]))
    session = await new_session(alice)
    frame = finished(
        await run_and_collect(
            alice_socket,
            run_message(
                alice_provider,
                session=session.pk,
                prompt="Start.",
                suffix=" End.",
                looks='[["p", 6], ["g", 5]]',
                temperature="0.5",
            ),
        )
    )
    stored_session = await sync_to_async(PlaygroundSession.objects.get)(pk=session.pk)
    assert stored_session.prompt == "Start. and End."
    assert stored_session.looks == [["p", 6], ["g", 9]]
    assert stored_session.node == f"{frame['run']}:0"
    assert stored_session.parameters["suffix"] == ""
    assert stored_session.parameters["temperature"] == "0.5"
