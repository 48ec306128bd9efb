"""GET /sessions/<id>/comparisons/<id>/: one of the session's comparisons, for its owner."""

import pytest

from playground.runs.models import Comparison

from ..factories import make_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def comparison(alice, session, provider):
    comparison = Comparison.objects.create(
        owner=alice, session=session, columns=[{"model": "m-a"}, {"model": "m-b"}]
    )
    for column, text in enumerate([" <b>one</b>", " two"]):
        make_run(
            alice,
            provider,
            session=session,
            comparison=comparison,
            column=column,
            choices=[{"index": 0, "text": text, "logprobs": None, "finish_reason": "stop"}],
        )
    return comparison


def test_the_owner_gets_its_columns_and_results(alice_client, session, comparison):
    body = alice_client.get(f"/sessions/{session.pk}/comparisons/{comparison.pk}/").json()

    assert body["columns"] == [{"model": "m-a"}, {"model": "m-b"}]
    assert [(r["column"], r["text"]) for r in body["results"]] == [(0, " <b>one</b>"), (1, " two")]


def test_anyone_else_gets_404(bob_client, session, comparison):
    assert bob_client.get(f"/sessions/{session.pk}/comparisons/{comparison.pk}/").status_code == 404


def test_a_comparison_of_another_session_is_404(alice, alice_client, comparison):
    from ..factories import make_session

    other = make_session(alice)
    assert alice_client.get(f"/sessions/{other.pk}/comparisons/{comparison.pk}/").status_code == 404
