"""Opening one cell of a dataset run as a session of its own, to explore in the editor.

The new session is the run's form with the cell's column changes, and its document is the
row's prompt with the row's values filled in, followed by the cell's output. Kept simple:
the output goes in as typed text (no tokens or probabilities), and no run is made.
"""

from django.conf import settings

from playground.completions import variables
from playground.datasets.models import DatasetResult
from playground.sessions.models import PlaygroundSession
from playground.sessions.state import restore_state

from .requests import variable_values


def _filled(text: str, values: dict) -> str:
    try:
        return variables.fill(text, values)
    except variables.MissingValues:
        return text


def open_as_session(user, result: DatasetResult) -> PlaygroundSession:
    run = result.run
    state = {**run.session_state, **run.columns[result.column]}
    values = variable_values(result.row.values)
    suffix = (state.get("suffix") or "") if isinstance(state.get("suffix"), str) else ""
    document = _filled(state.get("prompt") or "", values) + result.output
    state.update(
        prompt=document[: settings.PLAYGROUND_MAX_PROMPT_CHARS],
        suffix=_filled(suffix, values),
        looks="",
        node="",
        variables="",
    )
    session = PlaygroundSession(owner=user)
    restore_state(session, state, user)
    session.save()
    return session
