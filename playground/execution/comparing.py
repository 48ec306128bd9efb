"""A comparison: one prompt sent to 2 to 6 columns at once, each a run of its own.

A compare message is a run message (the session's form, the document as prompt, its place
in the tree) with `columns`: a list of 2 to MAX_COLUMNS objects, each the form fields that
column changes (provider, model, temperature, seed, …). Every column is validated by the
completion form as a run would be; nothing starts unless all are valid. The columns' runs
are stored with their Comparison, in one transaction with the caps' check (limits.py: a
comparison is one thing going at once, and each column is a run started).
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from playground.completions.forms import CompletionForm
from playground.completions.messages import form_data_from_message
from playground.completions.parameters import registered
from playground.completions.request_body import build_request_body
from playground.providers.capabilities import capabilities_for
from playground.providers.models import Provider
from playground.runs.models import Comparison, Run
from playground.runs.tree import PlacementForm
from playground.sessions.state import (
    UnsavableState,
    parameters_from_data,
    save_state,
    session_state,
)

from .fanout import plan_requests, sent_requests
from .launch import find_or_start_session, new_run, save_form_state
from .limits import refusal_to_start

MIN_COLUMNS = 2
MAX_COLUMNS = 6


@dataclass
class Column:
    run: Run
    provider: Provider
    quirks: list[str]


@dataclass
class ComparisonLaunch:
    comparison: Comparison | None = None
    columns: list[Column] = field(default_factory=list)
    # {column index: {field: [messages]}} for columns the form refused.
    invalid: dict[int, dict] = field(default_factory=dict)
    # Set when nothing could start (a bad message, a cap, an unknown session).
    error: str = ""


def _column_fields() -> set[str]:
    names = {"provider", "model"}
    for parameter in registered():
        names.update(parameter.posted_names)
        names.add(parameter.name)
    return names


def columns_error(columns) -> str:
    """Why `columns` is not a list of 2 to MAX_COLUMNS objects of form fields, or ""."""
    if not isinstance(columns, list) or not MIN_COLUMNS <= len(columns) <= MAX_COLUMNS:
        return f"A comparison has {MIN_COLUMNS} to {MAX_COLUMNS} columns."
    known = _column_fields()
    for index, column in enumerate(columns):
        if not isinstance(column, dict):
            return f"Column {index + 1} is not an object of form fields."
        unknown = sorted(name for name in column if name not in known)
        if unknown:
            return f"Column {index + 1} sets {', '.join(unknown[:3])}, which no form field is."
    return ""


def launch_comparison(user, message: dict) -> ComparisonLaunch:
    """Stores the form in its session and, when every column is valid and the caps allow, a
    Comparison with one run per column."""
    problem = columns_error(message.get("columns"))
    if problem:
        return ComparisonLaunch(error=problem)
    columns: list[dict] = message["columns"]
    session = find_or_start_session(user, message.get("session"))
    if session is None or session.pk is None:
        return ComparisonLaunch(error="No such session: it was deleted, or it is not yours.")
    base = form_data_from_message({k: v for k, v in message.items() if k != "columns"})
    # Each provider is looked up once, for every column and for the session's form.
    providers: dict = {}
    forms = []
    invalid: dict[int, dict] = {}
    for index, form in enumerate(_column_forms(base, columns, user, providers)):
        if form.is_valid():
            forms.append(form)
        else:
            invalid[index] = dict(form.errors)
    try:
        # The form as typed is kept, as for a run, whatever the columns say.
        if base.get("provider", "") in providers:
            save_form_state(session, base, providers[base.get("provider", "")], user)
        else:
            save_state(session, base, user)
    except UnsavableState as exc:
        return ComparisonLaunch(error=str(exc))
    # What each column's run keeps for Restore: the form with the column's changes.
    base_state = {**session_state(session), **parameters_from_data(base)}
    placement = PlacementForm(
        base,
        runs=Run.objects.filter(session=session, owner=user),
        document_length=len(base.get("prompt", "")) + len(base.get("suffix", "")),
    )
    if not placement.is_valid():
        session.save()
        messages = [str(error) for errors in placement.errors.values() for error in errors]
        return ComparisonLaunch(error=" ".join(messages))
    if invalid:
        session.save()
        return ComparisonLaunch(invalid=invalid)
    planned = []
    # Columns often share a provider and model: each is looked up once.
    quirks_of: dict[tuple[int, str], list[str]] = {}
    for form, column in zip(forms, columns, strict=True):
        provider, model = form.cleaned_data["provider"], form.cleaned_data["model"]
        if (provider.pk, model) not in quirks_of:
            quirks_of[provider.pk, model] = capabilities_for(provider, model).quirks()
        body = build_request_body(form.cleaned_data)
        try:
            state = _state_of(base_state, form.data, column)
        except UnsavableState as exc:
            return ComparisonLaunch(error=str(exc))
        planned.append((form, provider, body, quirks_of[provider.pk, model], state))
    with transaction.atomic():
        refusal = refusal_to_start(user, runs=len(planned))
        if refusal:
            session.save()
            return ComparisonLaunch(error=refusal)
        session.last_run_at = timezone.now()
        session.save()
        comparison = Comparison.objects.create(
            owner=user, session=session, columns=[_column_record(c) for c in columns]
        )
        runs = Run.objects.bulk_create(
            new_run(
                user,
                session,
                form,
                body,
                sent_requests(body, plan_requests(body, quirks)[0]),
                state,
                placement,
                comparison=comparison,
                column=index,
            )
            for index, (form, _, body, quirks, state) in enumerate(planned)
        )
    launched = [
        Column(run=run, provider=provider, quirks=quirks)
        for run, (_, provider, _, quirks, _) in zip(runs, planned, strict=True)
    ]
    return ComparisonLaunch(comparison=comparison, columns=launched)


def _column_forms(base, columns: list[dict], user, providers: dict) -> list[CompletionForm]:
    """Each column's completion form, bound to the session's form with the column's changes,
    and filled as a run's form is (each column sends the prompt with its {{variables}}).

    Made once and bound again for each column: making the form (its two dozen fields) took
    as long as validating it, and it comes before any column's first token (bench, figure
    11). The fields keep nothing of a validation; each form keeps its own data, errors and
    cleaned data. The providers are looked up once for all the columns, into `providers`.
    """
    made = CompletionForm(base, user=user, fill_variables=True, providers=providers)
    forms = []
    for column in columns:
        data = base.copy()
        for name, values in form_data_from_message(column).lists():
            data.setlist(name, values)
        forms.append(made.bound_again(data))
    return forms


def _state_of(base_state: dict, data, column: dict) -> dict:
    """The form as this column has it, for its run's Restore: the session's form (as
    posted), with the fields the column changes taken from the column's data."""
    return {
        **base_state,
        **parameters_from_data(data, posted=column),
        "provider": data.get("provider", ""),
        "model": data.get("model", ""),
    }


def _column_record(column: dict) -> dict:
    """A column's changes as stored: each field's value as text (a list for a list)."""
    return {
        name: [str(v) for v in value] if isinstance(value, list) else str(value)
        for name, value in column.items()
    }
