"""Two runs of the same dataset, compared: which rows changed score after a prompt change."""

import re

import pytest

from playground.datasetruns import lifecycle

from ..factories import make_session
from ..fake_upstream import Reply, completion_response
from .conftest import PROMPT, answer_by_prompt, capital

pytestmark = pytest.mark.django_db(transaction=True)


def wrong_for(cities: set[str]):
    def answer(body):
        city = re.fullmatch(r"The capital of (.*) is", body["prompt"])[1]
        text = " Nowhere" if city in cities else capital(city)
        return Reply(completion_response([text]))

    return answer


def test_the_rows_that_changed_score_are_listed_better_and_worse(
    alice, alice_client, upstream, capitals_session, make_capitals
):
    dataset = make_capitals(4)
    upstream.respond_with(wrong_for({"City1"}))
    before = lifecycle.start(alice, dataset, capitals_session).run
    upstream.respond_with(wrong_for({"City3"}))
    after = lifecycle.start(alice, dataset, capitals_session).run

    page = alice_client.get(f"/dataset-runs/{after.pk}/against/{before.pk}/").content.decode()

    assert "<strong>1 row better</strong>" in page
    assert "<strong>1 row worse</strong>" in page
    assert re.findall(r'data-direction="(\w+)" data-row="(\d)"', page) == [
        ("better", "1"),
        ("worse", "3"),
    ]
    assert "exact: mean 0.75 before, 0.75 now" in page
    # Each changed row with its values, and both outputs with their scores.
    assert "<dd>City1</dd>" in page
    assert '<pre class="choice-text"> Nowhere</pre>' in page
    assert "exact ✓" in page and "exact ✗" in page
    # The run's page offers the comparison with the earlier run.
    detail = alice_client.get(f"/dataset-runs/{after.pk}/").content.decode()
    assert f'href="/dataset-runs/{after.pk}/against/{before.pk}/"' in detail


def test_runs_of_different_datasets_are_not_compared(
    alice, alice_client, upstream, capitals_session, make_capitals
):
    upstream.respond_with(answer_by_prompt)
    first = lifecycle.start(alice, make_capitals(1), capitals_session).run
    second = lifecycle.start(alice, make_capitals(1), capitals_session).run

    response = alice_client.get(f"/dataset-runs/{second.pk}/against/{first.pk}/", follow=True)

    assert "Only two runs of the same dataset can be compared." in response.content.decode()


def test_another_users_run_is_404(bob_client, alice, upstream, capitals_session, make_capitals):
    upstream.respond_with(answer_by_prompt)
    dataset = make_capitals(1)
    first = lifecycle.start(alice, dataset, capitals_session).run
    second = lifecycle.start(alice, dataset, capitals_session).run

    assert bob_client.get(f"/dataset-runs/{second.pk}/against/{first.pk}/").status_code == 404


def test_a_column_whose_settings_changed_says_what_they_were(
    alice, alice_client, upstream, capitals_session, fake_provider, make_capitals
):
    # Compared column by column: where the model changed, the page says which it was.
    upstream.respond_with(answer_by_prompt)
    dataset = make_capitals(1)
    before = lifecycle.start(alice, dataset, capitals_session).run
    other = make_session(alice, provider=fake_provider, prompt=PROMPT, model="other-model")
    after = lifecycle.start(alice, dataset, other).run

    page = alice_client.get(f"/dataset-runs/{after.pk}/against/{before.pk}/").content.decode()

    assert f"1. {fake_provider.name} · other-model</h3>" in page
    assert f"Before: {fake_provider.name} · fake-model</p>" in page
    same = alice_client.get(f"/dataset-runs/{before.pk}/against/{before.pk}/").content.decode()
    assert "Before:" not in same
