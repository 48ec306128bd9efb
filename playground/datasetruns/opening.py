"""Opening one cell of a dataset run as a session of its own, to explore in the editor.

The new session is the run's form with the cell's column changes, and its prompt is the
row's prompt with the row's values filled in. A cell that was done becomes the session's
first run, as if made from the editor: its output follows the prompt in the document as
generated text, a node of the tree, with each token's probabilities when the dataset run
asked for them, so that a branch can grow from any token. The run keeps the time the row
was done, and is marked as not started here: opening cells starts nothing, and counts
against no cap. A cell with no output (failed, cancelled), or whose request can no longer
be made (its provider is gone), opens with the output, if any, as typed text, and no run.
"""

from django.conf import settings
from django.db import transaction

from playground.completions import variables
from playground.datasets.models import DatasetResult, ResultStatus
from playground.runs.models import Run, RunStatus
from playground.runs.tree import typed
from playground.sessions.models import PlaygroundSession
from playground.sessions.state import restore_state, session_state, take_in_run

from .requests import column_data, row_request, variable_values


def _filled(text: str, values: dict) -> str:
    try:
        return variables.fill(text, values)
    except variables.MissingValues:
        return text


def open_as_session(user, result: DatasetResult) -> PlaygroundSession:
    run = result.run
    state = {**run.session_state, **run.columns[result.column]}
    values = variable_values(result.row.values)
    prompt = _filled(state.get("prompt") or "", values)
    suffix = _filled(state["suffix"] if isinstance(state.get("suffix"), str) else "", values)
    cell_run = _cell_run(user, result, prompt, suffix)
    document = prompt if cell_run else prompt + result.output
    state.update(
        prompt=document[: settings.PLAYGROUND_MAX_PROMPT_CHARS],
        suffix=suffix,
        looks="",
        node="",
        variables="",
    )
    with transaction.atomic():
        session = PlaygroundSession(owner=user)
        restore_state(session, state, user)
        session.save()
        if cell_run is not None:
            cell_run.session = session
            cell_run.form_state = session_state(session)
            cell_run.save()
            # Done when the row was: not a run started now.
            done_at = result.finished_at or result.run.created_at
            Run.objects.filter(pk=cell_run.pk).update(created_at=done_at)
            take_in_run(cell_run)
    return session


def _cell_run(user, result: DatasetResult, prompt: str, suffix: str) -> Run | None:
    """The cell's completion as a finished run of the new session (not saved yet), or None
    when it has none or its request can no longer be made."""
    if result.status != ResultStatus.DONE or not result.choices or not result.output:
        return None
    if len(prompt) + len(result.output) + len(suffix) > settings.PLAYGROUND_MAX_PROMPT_CHARS:
        return None
    dataset_run = result.run
    request = row_request(
        column_data(dataset_run.session_state, dataset_run.columns[result.column]),
        result.row.values,
        user,
    )
    if request.error or request.provider is None:
        return None
    logprobs = result.logprobs or []
    choices = [
        {
            "index": index,
            "text": choice["text"],
            "logprobs": logprobs[index] if index < len(logprobs) else None,
            "finish_reason": choice.get("finish_reason"),
        }
        for index, choice in enumerate(result.choices)
    ]
    return Run(
        owner=user,
        provider=request.provider,
        provider_name=request.provider.name,
        model=request.body.get("model", ""),
        request_body=request.body,
        choices=choices,
        usage=result.usage,
        status=RunStatus.COMPLETED,
        time_to_first_token_ms=result.time_to_first_token_ms,
        total_ms=result.total_ms,
        completion_tokens=result.completion_tokens,
        looks=typed(len(prompt) + len(suffix)),
        started_here=False,
    )
