"""The session's tree in its file: exported with each run's place, imported with its links,
and refused, with the run named, when it is not a tree."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.html import escape

from playground.runs.models import Run
from playground.sessions.models import PlaygroundSession
from playground.sessions.transfer import export_session, import_session, parse_export

from ..factories import make_run, make_session

pytestmark = pytest.mark.django_db

PROMPT = "Once"


def logprobs(tokens: list[str]) -> dict:
    return {
        "tokens": tokens,
        "token_logprobs": [-0.1 * (i + 1) for i in range(len(tokens))],
        "top_logprobs": [{token: -0.1} for token in tokens],
        "text_offset": [],
    }


def choice(index: int, tokens: list[str]) -> dict:
    return {
        "index": index,
        "text": "".join(tokens),
        "logprobs": logprobs(tokens),
        "finish_reason": "length",
    }


def make_tree(owner, provider=None) -> tuple:
    """A session whose tree branches: a root with two choices; a branch from choice 1's
    second token, with a token put in; a continuation of choice 0, pruned."""
    session = make_session(owner, provider, prompt=PROMPT + " upon a time")
    at = timezone.now() - timedelta(minutes=10)
    root = make_run(
        owner,
        provider,
        session=session,
        request_body={"model": "fake-model", "prompt": PROMPT, "n": 2, "logprobs": 1},
        choices=[choice(0, [" upon", " a"]), choice(1, [" there", " was"])],
        looks=[["p", len(PROMPT)]],
    )
    branch_prompt = PROMPT + " there" + " lived"
    branch = make_run(
        owner,
        provider,
        session=session,
        request_body={"model": "fake-model", "prompt": branch_prompt, "suffix": "!"},
        choices=[choice(0, [" a", " king"])],
        parent=root,
        parent_choice=1,
        branch_token=1,
        forced_text=" lived",
        looks=[["p", 4], ["g", 6], ["e", 6], ["p", 1]],
    )
    pruned = make_run(
        owner,
        provider,
        session=session,
        request_body={"model": "fake-model", "prompt": PROMPT + " upon a"},
        choices=[choice(0, [" time"])],
        parent=root,
        parent_choice=0,
        looks=[["p", 4], ["g", 7]],
        pruned_at=timezone.now(),
    )
    for minutes, run in enumerate((root, branch, pruned)):
        Run.objects.filter(pk=run.pk).update(created_at=at + timedelta(minutes=minutes))
    session.looks = [["p", 4], ["g", 5], ["p", 7]]
    session.node = f"{branch.pk}:0"
    session.save()
    return session, root, branch, pruned


def as_file(data: dict) -> bytes:
    return json.dumps(data).encode()


def tree_of(export: dict) -> list[dict]:
    keys = ("parent", "parent_choice", "branch_token", "forced_text", "looks", "pruned_at")
    return [{key: run.get(key) for key in keys} for run in export["runs"]]


def test_the_export_gives_each_run_its_place_in_the_tree(alice):
    session, _, _, pruned = make_tree(alice)

    exported = export_session(session)

    assert tree_of(exported) == [
        {
            "parent": None,
            "parent_choice": None,
            "branch_token": None,
            "forced_text": "",
            "looks": [["p", 4]],
            "pruned_at": None,
        },
        {
            "parent": 0,
            "parent_choice": 1,
            "branch_token": 1,
            "forced_text": " lived",
            "looks": [["p", 4], ["g", 6], ["e", 6], ["p", 1]],
            "pruned_at": None,
        },
        {
            "parent": 0,
            "parent_choice": 0,
            "branch_token": None,
            "forced_text": "",
            "looks": [["p", 4], ["g", 7]],
            "pruned_at": Run.objects.get(pk=pruned.pk).pruned_at.isoformat(),
        },
    ]
    assert exported["session"]["looks"] == [["p", 4], ["g", 5], ["p", 7]]
    assert exported["session"]["node"] == {"run": 1, "choice": 0}


def test_export_import_export_gives_the_same_tree(alice, bob):
    session, *_ = make_tree(alice)
    exported = export_session(session)

    imported = import_session(parse_export(as_file(exported)), bob)

    again = export_session(imported)
    assert tree_of(again) == tree_of(exported)
    assert again["session"]["looks"] == exported["session"]["looks"]
    assert again["session"]["node"] == exported["session"]["node"]


def test_the_imported_runs_link_to_each_other_not_to_the_originals(alice, bob):
    session, root, branch, pruned = make_tree(alice)

    imported = import_session(parse_export(as_file(export_session(session))), bob)

    new_root, new_branch, new_pruned = imported.runs.order_by("created_at", "id")
    assert new_root.parent is None
    assert (new_branch.parent, new_branch.parent_choice) == (new_root, 1)
    assert (new_pruned.parent, new_pruned.parent_choice) == (new_root, 0)
    assert new_pruned.pruned_at is not None and new_branch.pruned_at is None
    assert imported.node == f"{new_branch.pk}:0"
    assert {new_root.pk, new_branch.pk, new_pruned.pk}.isdisjoint({root.pk, branch.pk, pruned.pk})


def test_the_imported_session_shows_the_same_tree(alice, bob_client, bob):
    session, *_ = make_tree(alice)
    file = SimpleUploadedFile("s.json", as_file(export_session(session)))

    bob_client.post("/sessions/import/", {"file": file})

    imported = PlaygroundSession.objects.get(owner=bob)
    nodes = bob_client.get(f"/sessions/{imported.pk}/tree/").json()["nodes"]
    runs = list(imported.runs.order_by("created_at", "id"))
    assert [(node["id"], node["parent"], node["forced_text"]) for node in nodes] == [
        (f"{runs[0].pk}:0", None, ""),
        (f"{runs[0].pk}:1", None, ""),
        (f"{runs[1].pk}:0", f"{runs[0].pk}:1", " lived"),
    ]


def test_a_file_from_before_the_tree_imports_as_roots(alice, bob):
    session, *_ = make_tree(alice)
    exported = export_session(session)
    for run in exported["runs"]:
        for key in ("parent", "parent_choice", "branch_token", "forced_text", "looks"):
            del run[key]
        del run["pruned_at"]
    del exported["session"]["looks"], exported["session"]["node"]

    imported = import_session(parse_export(as_file(exported)), bob)

    runs = list(imported.runs.order_by("created_at", "id"))
    assert [run.parent for run in runs] == [None, None, None]
    assert [run.looks for run in runs] == [[], [], []]
    assert [run.pruned_at for run in runs] == [None, None, None]
    assert (imported.node, imported.looks) == ("", [])


MALFORMED = {
    "parent_later_in_the_file": (
        lambda data: data["runs"][1].update(parent=2),
        "runs[1].parent must be the position of an earlier run (0 to 0)",
    ),
    "parent_itself": (
        lambda data: data["runs"][1].update(parent=1),
        "runs[1].parent must be the position of an earlier run (0 to 0)",
    ),
    "first_run_with_a_parent": (
        lambda data: data["runs"][0].update(parent=0, parent_choice=0),
        "runs[0].parent must be null: no run comes before the first.",
    ),
    "parent_past_the_end": (
        lambda data: data["runs"][2].update(parent=7),
        "runs[2].parent must be the position of an earlier run (0 to 1)",
    ),
    "parent_negative": (
        lambda data: data["runs"][2].update(parent=-1),
        "runs[2].parent must be a whole number from 0 to 2147483647",
    ),
    "parent_a_string": (
        lambda data: data["runs"][2].update(parent="0"),
        "runs[2].parent must be an integer or null",
    ),
    "parent_choice_out_of_range": (
        lambda data: data["runs"][1].update(parent_choice=2),
        "runs[1].parent_choice is 2, but runs[0] has choices 0 to 1 only.",
    ),
    "parent_choice_missing": (
        lambda data: data["runs"][1].pop("parent_choice"),
        "runs[1].parent_choice is missing: it says which choice of runs[0] the run grows from.",
    ),
    "branch_token_past_the_tokens": (
        lambda data: data["runs"][1].update(branch_token=3),
        "runs[1].branch_token is 3, past the end of choice 1 of runs[0] (2 tokens).",
    ),
    "looks_short_of_the_prompt": (
        lambda data: data["runs"][1].update(looks=[["p", 4], ["g", 6]]),
        "runs[1].looks must cover its prompt and suffix exactly (17 characters).",
    ),
    "looks_past_the_prompt": (
        lambda data: data["runs"][0].update(looks=[["p", 5]]),
        "runs[0].looks must cover its prompt and suffix exactly (4 characters).",
    ),
    "looks_of_an_unknown_kind": (
        lambda data: data["runs"][0].update(looks=[["x", 4]]),
        'runs[0].looks[0][0] must be one of "p", "g", "e"',
    ),
    "looks_with_an_empty_stretch": (
        lambda data: data["runs"][0].update(looks=[["p", 4], ["g", 0]]),
        "runs[0].looks[1][1] must be a whole number from 1 to 2147483647",
    ),
    "session_looks_not_covering": (
        lambda data: data["session"].update(looks=[["p", 3]]),
        "session.looks must cover its prompt and suffix exactly (16 characters).",
    ),
    "session_node_past_the_runs": (
        lambda data: data["session"].update(node={"run": 3, "choice": 0}),
        "session.node names runs[3], which the file does not have.",
    ),
    "session_node_no_such_choice": (
        lambda data: data["session"].update(node={"run": 1, "choice": 1}),
        "session.node names choice 1 of runs[1], which has no such choice.",
    ),
    "made_before_its_parent": (
        lambda data: data["runs"][1].update(created_at="2000-01-01T00:00:00+00:00"),
        "runs[1].created_at is before that of its parent, runs[0]",
    ),
    "suffix_not_text": (
        lambda data: data["runs"][1]["request_body"].update(suffix=5),
        "runs[1].request_body.suffix must be a string or null",
    ),
}


@pytest.mark.parametrize("name", MALFORMED)
def test_a_file_whose_runs_are_not_a_tree_is_refused_whole(alice, bob, bob_client, name):
    change, message = MALFORMED[name]
    session, *_ = make_tree(alice)
    exported = export_session(session)
    change(exported)
    file = SimpleUploadedFile("s.json", as_file(exported), content_type="application/json")

    response = bob_client.post("/sessions/import/", {"file": file}, follow=True)

    assert escape(f"Nothing was imported: {message}") in response.text
    assert not PlaygroundSession.objects.filter(owner=bob).exists()
    assert not Run.objects.filter(owner=bob).exists()


def test_a_root_keeps_the_branch_point_of_a_parent_deleted_before_the_export(alice, bob):
    session, _, branch, _ = make_tree(alice)
    Run.objects.filter(pk=branch.pk).update(parent=None)

    imported = import_session(parse_export(as_file(export_session(session))), bob)

    kept = imported.runs.get(forced_text=" lived")
    assert (kept.parent, kept.parent_choice, kept.branch_token) == (None, 1, 1)
