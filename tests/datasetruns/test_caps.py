"""How a dataset run counts against the per-user caps (README, Limits)."""

import pytest

from playground.datasetruns import lifecycle
from playground.execution.limits import refusal_to_start

from ..factories import make_run

pytestmark = pytest.mark.usefixtures("tasks_wait")


def test_a_dataset_run_going_counts_as_one_run_going(
    alice, settings, capitals_session, make_capitals
):
    settings.PLAYGROUND_MAX_CONCURRENT_RUNS = 1
    run = lifecycle.start(alice, make_capitals(100), capitals_session).run

    assert refusal_to_start(alice).startswith("You already have 1 runs going")
    second = lifecycle.start(alice, make_capitals(3), capitals_session)
    assert second.run is None
    assert second.error.startswith("You already have 1 runs going")

    lifecycle.stop(run)
    assert refusal_to_start(alice) == ""


def test_its_rows_do_not_count_as_runs_started(alice, settings, capitals_session, make_capitals):
    settings.PLAYGROUND_RUNS_PER_MINUTE = 1
    make_run(alice)

    outcome = lifecycle.start(alice, make_capitals(100), capitals_session)

    assert outcome.error == ""
    assert outcome.run.result_count == 100
    # A single run is still refused by the minute's cap.
    assert "at most 1 runs a minute" in refusal_to_start(alice)


def test_resume_is_refused_at_the_cap(alice, settings, capitals_session, make_capitals):
    run = lifecycle.start(alice, make_capitals(3), capitals_session).run
    lifecycle.stop(run)
    settings.PLAYGROUND_MAX_CONCURRENT_RUNS = 1
    lifecycle.start(alice, make_capitals(3), capitals_session)

    assert lifecycle.resume(alice, run).startswith("You already have 1 runs going")
