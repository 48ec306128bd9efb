"""Claims: which worker holds which result, each provider's concurrency, lapsed workers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from playground.datasetruns import claims, lifecycle
from playground.datasets.models import DatasetResult, DatasetRunStatus, ResultStatus

from ..factories import make_session

pytestmark = pytest.mark.usefixtures("tasks_wait")


@pytest.fixture
def run(alice, capitals_session, make_capitals, fake_provider):
    fake_provider.max_concurrency = 3
    fake_provider.save()
    return lifecycle.start(alice, make_capitals(10), capitals_session).run


def lapse(result_ids):
    DatasetResult.objects.filter(pk__in=result_ids).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )


def test_two_workers_claim_different_results(run):
    first = claims.claim(run.pk, "w1", 2)
    second = claims.claim(run.pk, "w2", 2)

    assert [r.row_index for r in first] == [0, 1]
    # The provider allows 3 at once: one is left for w2.
    assert [r.row_index for r in second] == [2]
    run.refresh_from_db()
    assert run.status == DatasetRunStatus.RUNNING


def test_a_provider_has_at_most_its_concurrency_claimed_across_runs(
    alice, run, make_capitals, fake_provider
):
    other_session = make_session(alice, provider=fake_provider, prompt="{{city}}")
    other = lifecycle.start(alice, make_capitals(5), other_session).run

    assert len(claims.claim(run.pk, "w1", 10)) == 3
    assert claims.claim(run.pk, "w2", 10) == []
    assert claims.claim(other.pk, "w3", 10) == []


def test_a_lapsed_claim_goes_to_another_worker_and_the_first_cannot_write(run):
    [held] = claims.claim(run.pk, "w1", 1)
    lapse([held.pk])

    taken = claims.claim(run.pk, "w2", 1)

    assert [r.pk for r in taken] == [held.pk]
    assert taken[0].attempts == 2
    assert not claims.write(held.pk, "w1", status=ResultStatus.DONE, output="late")
    assert claims.write(held.pk, "w2", status=ResultStatus.DONE, output="on time")
    assert DatasetResult.objects.get(pk=held.pk).output == "on time"


def test_a_result_done_is_never_claimed_again(run):
    [held] = claims.claim(run.pk, "w1", 1)
    claims.write(held.pk, "w1", status=ResultStatus.DONE)
    lapse([held.pk])

    indexes = [r.row_index for r in claims.claim(run.pk, "w2", 3)]

    assert 0 not in indexes


def test_a_run_whose_workers_died_is_noticed(run):
    held = claims.claim(run.pk, "w1", 3)
    run.refresh_from_db()
    assert not claims.lost_its_workers(run)

    lapse([r.pk for r in held])
    long_ago = timezone.now() - timedelta(minutes=5)
    type(run).objects.filter(pk=run.pk).update(heartbeat_at=long_ago, enqueued_at=long_ago)
    run.refresh_from_db()

    assert claims.lost_its_workers(run)


def test_stop_ends_a_run_no_worker_holds(run):
    lifecycle.stop(run)

    run.refresh_from_db()
    assert run.status == DatasetRunStatus.STOPPED
    assert set(run.results.values_list("status", flat=True)) == {ResultStatus.CANCELLED}
