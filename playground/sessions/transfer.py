"""Sessions as JSON files: export (no key, no provider secret) and a strict import."""

import json
import math

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.dateparse import parse_datetime

from playground.providers.models import Provider
from playground.runs.models import Run, RunStatus

from .models import PlaygroundSession
from .state import LIST_FIELDS, StateTooLarge, parameters_from_data

FORMAT = "completions-playground/session"
VERSION = 1
MAX_RUNS = 1000
RUN_FIELDS = (
    "model",
    "provider_name",
    "request_body",
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


def _expect(condition: bool, where: str, what: str) -> None:
    if not condition:
        raise InvalidExport(f"{where} {what}.")


def _string(data: dict, key: str, where: str, max_length: int, default="") -> str:
    value = data.get(key, default)
    _expect(isinstance(value, str), f"{where}.{key}", "must be a string")
    _expect(len(value) <= max_length, f"{where}.{key}", f"is longer than {max_length} characters")
    return value


def _optional_number(data: dict, key: str, where: str):
    value = data.get(key)
    if value is None:
        return None
    _expect(
        isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value),
        f"{where}.{key}",
        "must be a number or null",
    )
    return value


def _parameters(value, where: str) -> dict:
    _expect(isinstance(value, dict), where, "must be an object")
    data = MultiValueDict()
    for name, item in value.items():
        if name in LIST_FIELDS:
            _expect(
                isinstance(item, list) and all(isinstance(v, str) for v in item),
                f"{where}.{name}",
                "must be a list of strings",
            )
            data.setlist(name, item)
        else:
            _expect(isinstance(item, str), f"{where}.{name}", "must be a string")
            data[name] = item
    try:
        return parameters_from_data(data)
    except StateTooLarge as exc:
        raise InvalidExport(f"{where}: {exc}") from exc


def _choices(value, where: str) -> list[dict]:
    _expect(isinstance(value, list) and len(value) <= 1024, where, "must be a list")
    choices = []
    for position, choice in enumerate(value):
        at = f"{where}[{position}]"
        _expect(isinstance(choice, dict), at, "must be an object")
        index = choice.get("index")
        _expect(
            isinstance(index, int) and not isinstance(index, bool),
            f"{at}.index",
            "must be an integer",
        )
        logprobs = choice.get("logprobs")
        _expect(
            logprobs is None or isinstance(logprobs, dict),
            f"{at}.logprobs",
            "must be an object or null",
        )
        finish = choice.get("finish_reason")
        _expect(
            finish is None or isinstance(finish, str),
            f"{at}.finish_reason",
            "must be a string or null",
        )
        choices.append(
            {
                "index": index,
                "text": _string(choice, "text", at, 5_000_000),
                "logprobs": logprobs,
                "finish_reason": finish,
            }
        )
    return choices


def _run(data, where: str) -> dict:
    _expect(isinstance(data, dict), where, "must be an object")
    body = data.get("request_body")
    _expect(isinstance(body, dict), f"{where}.request_body", "must be an object")
    status = data.get("status", RunStatus.COMPLETED)
    _expect(status in RunStatus.values, f"{where}.status", f"must be one of {RunStatus.values}")
    usage = data.get("usage")
    _expect(usage is None or isinstance(usage, dict), f"{where}.usage", "must be an object or null")
    notices = data.get("notices", [])
    _expect(
        isinstance(notices, list) and all(isinstance(n, str) for n in notices),
        f"{where}.notices",
        "must be a list of strings",
    )
    form_state = data.get("form_state") or {}
    _expect(isinstance(form_state, dict), f"{where}.form_state", "must be an object")
    created_at = data.get("created_at")
    parsed_created = parse_datetime(created_at) if isinstance(created_at, str) else None
    completion_tokens = _optional_number(data, "completion_tokens", where)
    return {
        "model": _string(data, "model", where, 200),
        "provider_name": _string(data, "provider_name", where, 100),
        "request_body": body,
        "choices": _choices(data.get("choices", []), f"{where}.choices"),
        "usage": usage,
        # A run cannot be streaming in a file: it stopped when it was exported.
        "status": RunStatus.INTERRUPTED if status == RunStatus.STREAMING else status,
        "error": _string(data, "error", where, 10_000),
        "notices": notices[:20],
        "form_state": form_state,
        "time_to_first_token_ms": _optional_number(data, "time_to_first_token_ms", where),
        "total_ms": _optional_number(data, "total_ms", where),
        "completion_tokens": int(completion_tokens) if completion_tokens is not None else None,
        "tokens_from_usage": bool(data.get("tokens_from_usage", False)),
        "created_at": parsed_created,
    }


def parse_export(raw: bytes) -> dict:
    """Validates an exported file completely, before anything is created."""
    limit = settings.PLAYGROUND_IMPORT_MAX_BYTES
    _expect(len(raw) <= limit, "The file", f"is larger than {limit // 1_000_000} MB")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InvalidExport("The file is not UTF-8 text.") from exc
    except ValueError as exc:
        raise InvalidExport(f"The file is not valid JSON: {exc}.") from exc
    _expect(
        isinstance(data, dict) and data.get("format") == FORMAT,
        "The file",
        "is not a session export",
    )
    _expect(
        data.get("version") == VERSION, "The file", f"has an unknown version (expected {VERSION})"
    )
    session = data.get("session")
    _expect(isinstance(session, dict), "session", "must be an object")
    runs = data.get("runs", [])
    _expect(isinstance(runs, list), "runs", "must be a list")
    _expect(len(runs) <= MAX_RUNS, "runs", f"has more than {MAX_RUNS} runs")
    return {
        "title": _string(session, "title", "session", 200),
        "title_is_custom": bool(session.get("title_is_custom", False)),
        "model": _string(session, "model", "session", 200),
        "prompt": _string(session, "prompt", "session", 200_000),
        "parameters": _parameters(session.get("parameters", {}), "session.parameters"),
        "runs": [_run(run, f"runs[{i}]") for i, run in enumerate(runs)],
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
