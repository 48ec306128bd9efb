"""Sessions as JSON files: export (no key, no provider secret) and a strict import.

The file's format is a JSON Schema (file_schema.py); an import checks a file against it
whole before anything is created.
"""

import json
from datetime import UTC

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from playground.json_values import strict_loads
from playground.providers.models import Provider
from playground.runs.models import Run, RunStatus

from .file_schema import FORMAT, VERSION, refusal
from .models import PlaygroundSession
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


class InvalidExport(ValueError):
    """A file that cannot be imported; the message says where and why."""


def export_run(run: Run) -> dict:
    data = {name: getattr(run, name) for name in RUN_FIELDS}
    data["created_at"] = run.created_at.isoformat()
    return data


def export_session(session: PlaygroundSession) -> dict:
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
        },
        "runs": [export_run(run) for run in session.runs.order_by("created_at", "id")],
    }


def runs_as_jsonl(session: PlaygroundSession) -> str:
    """One request/response pair per line, for eval tools."""
    lines = []
    for run in session.runs.order_by("created_at", "id"):
        response = {"choices": run.choices, "usage": run.usage, "status": run.status}
        if run.error:
            response["error"] = run.error
        lines.append(json.dumps({"request": run.request_body, "response": response}))
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
    return run


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
    return {
        "title": session.get("title", ""),
        "title_is_custom": session.get("title_is_custom", False),
        "model": session.get("model", ""),
        "prompt": session.get("prompt", ""),
        "parameters": _parameters(session.get("parameters", {}), "session.parameters"),
        "runs": [_run(run, f"runs[{i}]") for i, run in enumerate(data.get("runs", []))],
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
    )
    for run_data in parsed["runs"]:
        created_at = run_data.pop("created_at")
        run = Run.objects.create(owner=user, session=session, provider=None, **run_data)
        if created_at:
            Run.objects.filter(pk=run.pk).update(created_at=created_at)
    last = session.runs.order_by("-created_at").first()
    if last:
        session.last_run_at = last.created_at
        session.save(update_fields=["last_run_at"])
    return session
