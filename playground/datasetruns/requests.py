"""What one row of a dataset run sends: the run's form (its session's, as snapshotted), the
column's changes, and the row's values as the prompt's variables, validated by the
completion form exactly as a run from the editor is. A row the form refuses (a variable
with no value, a filled prompt over the cap) is a failed row with the form's message.
"""

import json
from dataclasses import dataclass, field

from django.utils.datastructures import MultiValueDict

from playground.completions import variables
from playground.completions.forms import CompletionForm
from playground.completions.messages import form_data_from_message
from playground.completions.request_body import build_request_body
from playground.providers.capabilities import capabilities_for
from playground.providers.models import Provider
from playground.sessions.state import data_from_state


@dataclass
class RowRequest:
    """A row's request, ready to send; or why it cannot be sent (error)."""

    body: dict = field(default_factory=dict)
    provider: Provider | None = None
    # The provider's quirks for the model (execution/fanout.py splits the request by them).
    quirks: list[str] = field(default_factory=list)
    # Whether the probe found that the model gives logprobs for the prompt's own tokens
    # (echo with logprobs); None when it was never probed.
    echo_logprobs: bool | None = None
    error: str = ""


def column_data(state: dict, changes: dict) -> MultiValueDict:
    """The form data of one column: the snapshot's form with the column's changes, as a
    comparison's column is made (execution/comparing.py)."""
    data = data_from_state(state)
    for name, values in form_data_from_message(changes).lists():
        data.setlist(name, values)
    return data


def variable_values(values: dict) -> dict[str, str]:
    """A row's values that can be variables (a column called "my city" cannot)."""
    return {name: value for name, value in values.items() if variables.is_name(name)}


def form_errors(form: CompletionForm) -> str:
    """The form's errors in one line, each after the field it is about."""
    messages: list[str] = []
    for name, errors in form.errors.items():
        for error in errors:
            messages.append(str(error) if name == "__all__" else f"{name}: {error}")
    return " ".join(messages)


def row_request(
    data: MultiValueDict, row_values: dict, user, capabilities: dict | None = None
) -> RowRequest:
    """The request one row sends in one column (data: column_data's). capabilities: a
    cache of the probe's findings by (provider, model), kept by the caller."""
    data = data.copy()
    data.setlist("variables", [json.dumps(variable_values(row_values))])
    form = CompletionForm(data, user=user, fill_variables=True)
    if not form.is_valid():
        return RowRequest(error=form_errors(form))
    provider = form.cleaned_data["provider"]
    key = (provider.pk, form.cleaned_data["model"])
    cache = {} if capabilities is None else capabilities
    if key not in cache:
        cache[key] = capabilities_for(provider, form.cleaned_data["model"])
    found = cache[key]
    return RowRequest(
        body=build_request_body(form.cleaned_data),
        provider=provider,
        quirks=found.quirks(),
        echo_logprobs=found.echo_logprobs,
    )


def column_form(data: MultiValueDict, user) -> CompletionForm:
    """A column's form before any row fills it in: its parameters and its provider, checked
    when the run is made (each row's variables are checked as the row is sent)."""
    return CompletionForm(data, user=user)
