"""A launch's forms are freed when it is dropped, not at the garbage collector's next pass,
which would fall on the way to the first token (README, Performance: figure 11)."""

from django.forms import BoundField

from playground.completions.forms import CompletionForm
from playground.execution.comparing import launch_comparison
from playground.execution.launch import launch_run
from playground.runs.tree import PlacementForm

from ..support.cycles import collector_off, left_for_the_collector
from .helpers import run_message

FORMS = (CompletionForm, PlacementForm, BoundField)


def test_a_runs_launch_leaves_no_form_for_the_collector(alice, alice_provider):
    with collector_off():
        launch = launch_run(alice, run_message(alice_provider, prompt="Go"))
        assert launch.run is not None
        del launch
        assert left_for_the_collector(FORMS) == []


def test_a_comparisons_launch_leaves_no_form_for_the_collector(alice, alice_provider):
    # A comparison is made in a session: the first run's.
    session = launch_run(alice, run_message(alice_provider, prompt="Go")).run.session_id
    message = run_message(alice_provider, prompt="Go", session=session, action="compare")
    columns = [{"seed": str(seed)} for seed in range(4)]
    with collector_off():
        launch = launch_comparison(alice, {**message, "columns": columns})
        assert len(launch.columns) == 4
        del launch
        assert left_for_the_collector(FORMS) == []
