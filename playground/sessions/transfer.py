"""Sessions as JSON files: export (no key, no provider secret) and a strict import.

The file's format is a JSON Schema (file_schema.py); an import checks a file against it
whole before anything is created, then checks that its runs make a tree (runs/tree.py): a
run's parent is a run before it in the file, by position, and has the choice, and the
tokens, that the run grows from. The import links the new runs the same way.
"""

import json
from datetime import UTC
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from playground.json_values import strict_loads
from playground.providers.models import Provider
from playground.runs import tree
from playground.runs.models import Comparison, Run, RunStatus

from .file_schema import FORMAT, VERSION, refusal
from .models import PlaygroundSession
from .signals import exporting, import_checking, imported
from .state import UnsavableState, data_from_state, parameters_from_data

RUN_FIELDS = (
    "model",
    "provider_name",
    "request_body",
    "sent_requests",
    "choices",
    "usage",
    "status",
    "error",
    "notices",
    "time_to_first_token_ms",
    "total_ms",
    "completion_tokens",
    "tokens_from_usage",
    "form_state",
)
# The run's place in the session's tree, besides its parent (a position in the file).
TREE_FIELDS = ("parent_choice", "branch_token", "forced_text", "looks")


class InvalidExport(ValueError):
    """A file that cannot be imported; the message says where and why."""


def _merged(responses: list[tuple[Any, Any]]) -> dict:
    """The fields the receivers of a signal returned, in one dict."""
    return {name: value for _, fields in responses for name, value in (fields or {}).items()}


def _isoformat(moment) -> str | None:
    return moment.isoformat() if moment else None


def export_run(run: Run, positions: dict[int, int], compared: dict[int, int]) -> dict:
    """positions: each run of the file's place in it, by id, which parent refers to;
    compared: each comparison's place in the file, by id."""
    data = {name: getattr(run, name) for name in RUN_FIELDS}
    data["created_at"] = run.created_at.isoformat()
    data["parent"] = positions.get(run.parent_id) if run.parent_id is not None else None
    data.update({name: getattr(run, name) for name in TREE_FIELDS})
    data["pruned_at"] = _isoformat(run.pruned_at)
    if run.comparison_id is not None:
        data["comparison"] = compared[run.comparison_id]
        data["column"] = run.column
    return data


def _exported_node(session: PlaygroundSession, positions: dict[int, int]) -> dict | None:
    node = tree.parse_node(session.node)
    if node is None or node[0] not in positions:
        return None
    return {"run": positions[node[0]], "choice": node[1]}


def export_session(session: PlaygroundSession) -> dict:
    runs = list(session.runs.order_by("created_at", "id"))
    positions = {run.pk: position for position, run in enumerate(runs)}
    comparisons = list(session.comparisons.order_by("created_at", "id"))
    compared = {comparison.pk: position for position, comparison in enumerate(comparisons)}
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now().isoformat(),
        "session": {
            "title": session.title,
            "title_is_custom": session.title_is_custom,
            "provider_name": session.provider.name if session.provider else "",
            "model": session.model,
            "prompt": session.prompt,
            "parameters": session.parameters,
            "looks": session.looks,
            "node": _exported_node(session, positions),
        },
        "runs": [export_run(run, positions, compared) for run in runs],
        "comparisons": [
            {"columns": comparison.columns, "created_at": comparison.created_at.isoformat()}
            for comparison in comparisons
        ],
        # The apps above add theirs (datasets: the datasets its dataset runs used).
        **_merged(exporting.send(PlaygroundSession, session=session)),
    }


def _node_line(run: Run, index: int, choice: dict, pruned: bool) -> str:
    parent = (
        tree.node_id(run.parent_id, run.parent_choice or 0) if run.parent_id is not None else None
    )
    line = {
        "id": tree.node_id(run.pk, index),
        "parent": parent,
        "branch_token": run.branch_token,
        "forced_text": run.forced_text,
        "model": run.model,
        "parameters": run.request_body,
        "seed": run.request_body.get("seed"),
        "usage": run.usage,
        "text": choice.get("text", ""),
        "finish_reason": choice.get("finish_reason"),
        "logprobs": choice.get("logprobs"),
        "status": run.status,
        "pruned": pruned,
    }
    if run.error:
        line["error"] = run.error
    return json.dumps(line)


def runs_as_jsonl(session: PlaygroundSession) -> str:
    """One line per node of the session's tree (each choice of each run), oldest first, each
    with its parent node: for eval tools, and for tools that rebuild the tree. A run that
    failed before any choice has one line, for its choice 0 (README)."""
    runs = list(session.runs.order_by("created_at", "id"))
    hidden = tree.hidden_runs(runs)
    lines = []
    for run in runs:
        choices = {choice.get("index"): choice for choice in run.choices}
        for index in range(max(tree.choice_count(run), 1)):
            choice = choices.get(index, {})
            lines.append(_node_line(run, index, choice, run.pk in hidden))
    return "\n".join(lines) + ("\n" if lines else "")


# --- import -----------------------------------------------------------------------------


def _parameters(saved: dict, where: str) -> dict:
    """As a session keeps them: read and checked as if the page had posted them."""
    try:
        return parameters_from_data(data_from_state(saved))
    except UnsavableState as exc:
        raise InvalidExport(f"{where}: {exc}") from exc


def _form_state(state: dict, where: str) -> dict:
    # An imported run may come without its form: Restore then says there is none.
    if not state:
        return {}
    columns = {name: state.get(name, "") for name in ("provider", "model", "prompt")}
    return {**columns, **_parameters(state, where)}


def _created_at(value):
    if value is None:
        return None
    parsed = parse_datetime(value)
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, UTC)


def _run(data: dict, where: str) -> dict:
    """A run's fields, from a run of a valid file; those it leaves out get the model's
    defaults."""
    run = {name: data[name] for name in RUN_FIELDS if name in data}
    status = run.get("status", RunStatus.COMPLETED)
    # A run cannot be streaming in a file: it stopped when it was exported.
    run["status"] = RunStatus.INTERRUPTED if status == RunStatus.STREAMING else status
    run["choices"] = [
        {
            "index": choice["index"],
            "text": choice.get("text", ""),
            "logprobs": choice.get("logprobs"),
            "finish_reason": choice.get("finish_reason"),
        }
        for choice in run.get("choices", [])
    ]
    run["notices"] = run.get("notices", [])[:20]
    run["form_state"] = _form_state(run.get("form_state", {}), f"{where}.form_state")
    run["created_at"] = _created_at(data.get("created_at"))
    run["parent"] = data.get("parent")
    run.update({name: data[name] for name in TREE_FIELDS if data.get(name) is not None})
    run["pruned_at"] = _created_at(data.get("pruned_at"))
    run["comparison"] = data.get("comparison")
    run["column"] = data.get("column")
    return run


def _check_comparisons(comparisons: list[dict], runs: list[dict]) -> None:
    """Each run of a comparison names one that is in the file, and a column of it that no
    other run of it takes."""
    taken: set[tuple[int, int]] = set()
    for position, run in enumerate(runs):
        where, at, column = f"runs[{position}]", run["comparison"], run["column"]
        if at is None and column is None:
            continue
        if at is None or column is None:
            raise InvalidExport(
                f"{where} has one of comparison and column: it needs both, or neither."
            )
        if at >= len(comparisons):
            raise InvalidExport(
                f"{where}.comparison is {at}, but the file has {len(comparisons)} comparisons."
            )
        if column >= len(comparisons[at]["columns"]):
            raise InvalidExport(
                f"{where}.column is {column}, but comparisons[{at}] has "
                f"{len(comparisons[at]['columns'])} columns."
            )
        if (at, column) in taken:
            raise InvalidExport(
                f"{where} is column {column} of comparisons[{at}], as another run is."
            )
        taken.add((at, column))


def _document_length(prompt: str, suffix) -> int:
    return len(prompt) + len(suffix if isinstance(suffix, str) else "")


def _check_tree(runs: list[dict]) -> None:
    """That the runs make a tree, as the editor grows one (runs/tree.py): the checks the
    schema cannot make. A run without parent is a root, whatever else it says (its parent
    may have been deleted)."""
    stored = [
        Run(
            request_body=run["request_body"],
            choices=run["choices"],
            status=run["status"],
            form_state=run.get("form_state") or {},
        )
        for run in runs
    ]
    for position, (run, kept) in enumerate(zip(runs, stored, strict=True)):
        where = f"runs[{position}]"
        looks = run.get("looks")
        length = _document_length(*kept.written_prompt_and_suffix)
        if looks and not tree.looks_are_valid(looks, length):
            raise InvalidExport(
                f"{where}.looks must cover its prompt and suffix exactly ({length} characters)."
            )
        at = run["parent"]
        if at is None:
            continue
        if at >= position:
            raise InvalidExport(
                f"{where}.parent must be null: no run comes before the first."
                if position == 0
                else f"{where}.parent must be the position of an earlier run "
                f"(0 to {position - 1}): a run grows from one made before it."
            )
        parent, choice = stored[at], run.get("parent_choice")
        if choice is None:
            raise InvalidExport(
                f"{where}.parent_choice is missing: it says which choice of runs[{at}] "
                "the run grows from."
            )
        count = tree.choice_count(parent)
        if choice >= count:
            raise InvalidExport(
                f"{where}.parent_choice is {choice}, but runs[{at}] has "
                + (f"choices 0 to {count - 1} only." if count else "no choices.")
            )
        branch, tokens = run.get("branch_token"), tree.choice_tokens(parent, choice)
        if branch is not None and tokens is not None and branch > len(tokens):
            raise InvalidExport(
                f"{where}.branch_token is {branch}, past the end of choice {choice} "
                f"of runs[{at}] ({len(tokens)} tokens)."
            )
        made, parent_made = run["created_at"], runs[at]["created_at"]
        # A run that comes without a time is made at the import, after every run with one.
        if made is not None and (parent_made is None or made < parent_made):
            raise InvalidExport(
                f"{where}.created_at is before that of its parent, runs[{at}] (a run without "
                "one counts as made at the import)."
            )


def _session_tree(session: dict, parameters: dict, runs: list[dict]) -> dict:
    """The editor's looks and node, checked against the file's prompt and runs."""
    prompt = session.get("prompt", "")
    looks = session.get("looks") or []
    length = _document_length(prompt, parameters.get("suffix"))
    if looks and not tree.looks_are_valid(looks, length):
        raise InvalidExport(
            f"session.looks must cover its prompt and suffix exactly ({length} characters)."
        )
    node = session.get("node")
    if node is not None:
        at, choice = node["run"], node["choice"]
        if at >= len(runs):
            raise InvalidExport(f"session.node names runs[{at}], which the file does not have.")
        count = tree.choice_count(
            Run(request_body=runs[at]["request_body"], choices=runs[at]["choices"])
        )
        if choice >= max(count, 1):
            raise InvalidExport(
                f"session.node names choice {choice} of runs[{at}], which has no such choice."
            )
    return {"looks": looks, "node": node}


def too_large_message(limit: int) -> str:
    """The one wording of the import cap, in the decimal megabytes README uses."""
    return f"The file is larger than {limit / 1_000_000:,.6g} MB ({limit:,} bytes)."


def parse_export(raw: bytes) -> dict:
    """Validates an exported file completely, before anything is created."""
    limit = settings.PLAYGROUND_IMPORT_MAX_BYTES
    if len(raw) > limit:
        raise InvalidExport(too_large_message(limit))
    try:
        data = strict_loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InvalidExport("The file is not UTF-8 text.") from exc
    except RecursionError as exc:
        raise InvalidExport("The file is nested too deeply.") from exc
    except ValueError as exc:
        raise InvalidExport(f"The file is not valid JSON: {exc}.") from exc
    reason = refusal(data)
    if reason:
        raise InvalidExport(reason)
    session = data["session"]
    parameters = _parameters(session.get("parameters", {}), "session.parameters")
    runs = [_run(run, f"runs[{i}]") for i, run in enumerate(data.get("runs", []))]
    _check_tree(runs)
    comparisons = [
        {"columns": comparison["columns"], "created_at": _created_at(comparison.get("created_at"))}
        for comparison in data.get("comparisons", [])
    ]
    _check_comparisons(comparisons, runs)
    extras = _merged(import_checking.send(PlaygroundSession, data=data))
    return {
        "extras": extras,
        "title": session.get("title", ""),
        "title_is_custom": session.get("title_is_custom", False),
        "model": session.get("model", ""),
        "prompt": session.get("prompt", ""),
        "parameters": parameters,
        "runs": runs,
        "comparisons": comparisons,
        **_session_tree(session, parameters, runs),
    }


@transaction.atomic
def import_session(parsed: dict, user) -> PlaygroundSession:
    """Creates a new session of the importer's, on the importer's default provider."""
    provider = Provider.objects.default_for(user)
    session = PlaygroundSession.objects.create(
        owner=user,
        title=parsed["title"] or "Imported session",
        title_is_custom=True,
        provider=provider,
        model=parsed["model"],
        prompt=parsed["prompt"],
        parameters=parsed["parameters"],
        looks=parsed["looks"],
    )
    comparisons = []
    for data in parsed["comparisons"]:
        comparison = Comparison.objects.create(owner=user, session=session, columns=data["columns"])
        if data["created_at"]:
            Comparison.objects.filter(pk=comparison.pk).update(created_at=data["created_at"])
        comparisons.append(comparison)
    created: list[Run] = []
    for run_data in parsed["runs"]:
        fields = dict(run_data)
        created_at, at = fields.pop("created_at"), fields.pop("parent")
        parent = created[at] if at is not None else None
        compared = fields.pop("comparison")
        fields["comparison"] = comparisons[compared] if compared is not None else None
        # A record from the file: the importer started nothing, so no cap counts it.
        run = Run.objects.create(
            owner=user, session=session, provider=None, parent=parent, started_here=False, **fields
        )
        if created_at:
            Run.objects.filter(pk=run.pk).update(created_at=created_at)
        created.append(run)
    imported.send(PlaygroundSession, session=session, user=user, extras=parsed["extras"])
    update = ["node"]
    node = parsed["node"]
    session.node = tree.node_id(created[node["run"]].pk, node["choice"]) if node else ""
    last = session.runs.order_by("-created_at").first()
    if last:
        session.last_run_at = last.created_at
        update.append("last_run_at")
    session.save(update_fields=update)
    return session
