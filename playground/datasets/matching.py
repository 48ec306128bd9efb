"""Which of a session's variables a dataset has no column for: a run over it could not fill them."""

from playground.completions import variables
from playground.sessions.models import PlaygroundSession

from .models import Dataset


def session_variables(session: PlaygroundSession) -> list[str]:
    """The variables of the session's document (its prompt, and a suffix not yet in it)."""
    return variables.names(session.prompt, (session.parameters or {}).get("suffix") or "")


def missing_columns(dataset: Dataset, session: PlaygroundSession) -> list[str]:
    """The session's variables that are no column of the dataset, in the prompt's order."""
    return [name for name in session_variables(session) if name not in dataset.columns]
