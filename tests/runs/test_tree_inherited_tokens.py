"""A node's document carries the odds of the tokens its ancestors generated, where its
prompt still holds them as they were written."""

import pytest

from playground.runs import tree

from ..factories import make_run, make_session

pytestmark = pytest.mark.django_db


def choice(tokens: list[str], logprob: float = -0.5) -> dict:
    return {
        "index": 0,
        "text": "".join(tokens),
        "finish_reason": "length",
        "logprobs": {
            "tokens": tokens,
            "token_logprobs": [logprob] * len(tokens),
            "top_logprobs": [{t: logprob} for t in tokens],
        },
    }


@pytest.fixture
def path(alice):
    """A root "Once" + " upon a"; its continuation + " time"; a branch from the
    continuation's first token, with " day" forced in, + " came"."""
    session = make_session(alice)
    root = make_run(
        alice,
        session=session,
        request_body={"prompt": "Once"},
        choices=[choice([" upon", " a"], -0.1)],
    )
    middle = make_run(
        alice,
        session=session,
        request_body={"prompt": "Once upon a"},
        choices=[choice([" time", " there"], -0.2)],
        parent=root,
        parent_choice=0,
    )
    branch = make_run(
        alice,
        session=session,
        request_body={"prompt": "Once upon a time day"},
        choices=[choice([" came"], -0.3)],
        parent=middle,
        parent_choice=0,
        branch_token=1,
        forced_text=" day",
    )
    return root, middle, branch


def test_a_branch_shows_the_odds_of_every_token_its_path_generated(path):
    root, middle, branch = path

    doc = tree.document(branch, 0)

    assert doc["prompt_tokens"] == [
        [4, f"{root.pk}:0", 0, " upon", -0.1, {" upon": -0.1}],
        [9, f"{root.pk}:0", 1, " a", -0.1, {" a": -0.1}],
        [11, f"{middle.pk}:0", 0, " time", -0.2, {" time": -0.2}],
    ]
    # Each token is where the prompt has it; the forced token, typed, has none.
    for offset, _, _, text, _, _ in doc["prompt_tokens"]:
        assert doc["prompt"][offset : offset + len(text)] == text


def test_text_edited_in_a_parents_tokens_stops_the_looking_back(alice, path):
    _, middle, _ = path
    edited = make_run(
        alice,
        session=middle.session,
        request_body={"prompt": "Once upon THE time there"},
        choices=[choice([" was"])],
        parent=middle,
        parent_choice=0,
    )

    assert tree.document(edited, 0)["prompt_tokens"] == []
