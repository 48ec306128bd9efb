"""How a session's variables and a dataset's columns match: the variables a dataset has no
column for (a run over it could not fill them), and the columns that fill variables."""

from playground.completions import variables
from playground.sessions.models import PlaygroundSession

from .models import Dataset

# The columns a dataset may have besides its variables': what a row's output is scored
# against, and the row's own name.
NOT_VARIABLES = ("expected", "id")


def session_variables(session: PlaygroundSession) -> list[str]:
    """The variables of the session's document (its prompt, and a suffix not yet in it)."""
    return variables.names(session.prompt, (session.parameters or {}).get("suffix") or "")


def missing_columns(dataset: Dataset, session: PlaygroundSession) -> list[str]:
    """The session's variables that are no column of the dataset, in the prompt's order."""
    return [name for name in session_variables(session) if name not in dataset.columns]


def variable_columns(dataset: Dataset) -> list[str]:
    """The dataset's columns that fill a prompt's variables, in the file's order."""
    return [name for name in dataset.columns if name not in NOT_VARIABLES]
