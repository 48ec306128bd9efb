"""Sessions as JSON files: export (no key, no provider secret) and a strict import."""

import json
from datetime import UTC

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from playground.json_values import is_integer, is_number, strict_loads
from playground.providers.models import Provider
from playground.runs.models import Run, RunStatus
from playground.runs.parameters import Widget

from .models import PlaygroundSession
from .state import (
    COLUMN_FIELDS,
    UnsavableState,
    check_text,
    data_from_state,
    parameters_from_data,
    saved_parameters,
)

FORMAT = "completions-playground/session"
VERSION = 1
MAX_RUNS = 1000
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

# Deeper than any request or response a completion API has; it keeps rendering from recursing.
MAX_DEPTH = 64
MAX_COUNT = 2**31 - 1


def _expect(condition: bool, where: str, what: str) -> None:
    if not condition:
        raise InvalidExport(f"{where} {what}.")


def _text(value: str, where: str) -> str:
    try:
        check_text(where, value)
    except UnsavableState as exc:
        raise InvalidExport(str(exc)) from exc
    return value


def _json(value, where: str, depth: int = 0):
    """Any JSON value kept as it is: shallow enough, and text the database can store."""
    _expect(depth <= MAX_DEPTH, where, "is nested too deeply")
    if isinstance(value, str):
        _text(value, where)
    elif isinstance(value, dict):
        for key, item in value.items():
            _text(key, where)
            _json(item, where, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _json(item, where, depth + 1)
    return value


def _string(data: dict, key: str, where: str, max_length: int, default="") -> str:
    value = data.get(key, default)
    _expect(isinstance(value, str), f"{where}.{key}", "must be a string")
    _expect(len(value) <= max_length, f"{where}.{key}", f"is longer than {max_length} characters")
    return _text(value, f"{where}.{key}")


def _boolean(data: dict, key: str, where: str) -> bool:
    value = data.get(key, False)
    _expect(isinstance(value, bool), f"{where}.{key}", "must be true or false")
    return value


def _optional_number(data: dict, key: str, where: str):
    value = data.get(key)
    _expect(value is None or is_number(value), f"{where}.{key}", "must be a number or null")
    return value


def _optional_count(data: dict, key: str, where: str):
    value = data.get(key)
    _expect(
        value is None or (is_number(value) and value == int(value) and 0 <= value <= MAX_COUNT),
        f"{where}.{key}",
        f"must be a whole number from 0 to {MAX_COUNT}, or null",
    )
    return None if value is None else int(value)


def _is_list_of(value, is_item) -> bool:
    return isinstance(value, list) and all(is_item(item) for item in value)


def _is_pair(value) -> bool:
    return _is_list_of(value, lambda text: isinstance(text, str)) and len(value) == 2


def _parameters(value, where: str) -> dict:
    _expect(isinstance(value, dict), where, "must be an object")
    shapes = {}
    for parameter in saved_parameters():
        if parameter.widget is Widget.STOP_SEQUENCES:
            shapes[parameter.name] = (
                lambda v: _is_list_of(v, lambda t: isinstance(t, str)),
                "must be a list of strings",
            )
        elif parameter.widget is Widget.LOGIT_BIAS:
            shapes[parameter.name] = (
                lambda v: _is_list_of(v, _is_pair),
                "must be a list of [token, bias] pairs of strings",
            )
        for name in parameter.posted_names:
            if name != parameter.name:
                shapes[name] = (
                    lambda v: _is_list_of(v, lambda t: isinstance(t, str)),
                    "must be a list of strings",
                )
    for name, item in value.items():
        is_valid, what = shapes.get(name, (lambda v: isinstance(v, str), "must be a string"))
        _expect(is_valid(item), f"{where}.{name}", what)
    try:
        return parameters_from_data(data_from_state(value))
    except UnsavableState as exc:
        raise InvalidExport(f"{where}: {exc}") from exc


def _form_state(value, where: str) -> dict:
    """What "Restore" puts back in the form, held to the same rules as the session's own."""
    _expect(isinstance(value, dict), where, "must be an object")
    if not value:
        return {}
    fields = {name: item for name, item in value.items() if name not in COLUMN_FIELDS}
    return {
        "provider": _string(value, "provider", where, 20),
        "model": _string(value, "model", where, 200),
        "prompt": _string(value, "prompt", where, settings.PLAYGROUND_MAX_PROMPT_CHARS),
        **_parameters(fields, where),
    }


def _list_of(logprobs: dict, key: str, where: str, is_item, what: str) -> None:
    value = logprobs.get(key)
    _expect(
        value is None or (isinstance(value, list) and all(is_item(v) for v in value)),
        f"{where}.{key}",
        f"must be a list of {what}",
    )


def _is_alternatives(value) -> bool:
    return value is None or (
        isinstance(value, dict) and all(v is None or is_number(v) for v in value.values())
    )


def _logprobs(value, where: str):
    """Checked as far as the page reads them: tokens, their logprobs, alternatives, offsets."""
    if value is None:
        return None
    _expect(isinstance(value, dict), where, "must be an object or null")
    _list_of(value, "tokens", where, lambda v: isinstance(v, str), "strings")
    _list_of(
        value, "token_logprobs", where, lambda v: v is None or is_number(v), "numbers or nulls"
    )
    _list_of(value, "top_logprobs", where, _is_alternatives, "objects of numbers, or nulls")
    _list_of(
        value,
        "text_offset",
        where,
        is_integer,
        "integers",
    )
    return _json(value, where, depth=1)


def _choices(value, where: str) -> list[dict]:
    _expect(isinstance(value, list) and len(value) <= 1024, where, "must be a list")
    choices = []
    for position, choice in enumerate(value):
        at = f"{where}[{position}]"
        _expect(isinstance(choice, dict), at, "must be an object")
        index = choice.get("index")
        _expect(
            is_integer(index) and 0 <= index <= MAX_COUNT,
            f"{at}.index",
            "must be an integer",
        )
        finish = choice.get("finish_reason")
        _expect(
            finish is None or isinstance(finish, str),
            f"{at}.finish_reason",
            "must be a string or null",
        )
        if finish is not None:
            finish = _string(choice, "finish_reason", at, 100)
        choices.append(
            {
                "index": index,
                "text": _string(choice, "text", at, 5_000_000),
                "logprobs": _logprobs(choice.get("logprobs"), f"{at}.logprobs"),
                "finish_reason": finish,
            }
        )
    return choices


def _sent_requests(value, where: str) -> list[dict] | None:
    """Run.sent_requests; files from before it was kept have none (null), as such runs do."""
    if value is None:
        return None
    _expect(isinstance(value, list), where, "must be a list or null")
    groups = []
    for position, group in enumerate(value):
        at = f"{where}[{position}]"
        _expect(isinstance(group, dict), at, "must be an object")
        times = group.get("times")
        _expect(
            is_integer(times) and 1 <= times <= MAX_COUNT,
            f"{at}.times",
            f"must be a whole number from 1 to {MAX_COUNT}",
        )
        changed = group.get("changed")
        _expect(isinstance(changed, dict), f"{at}.changed", "must be an object")
        groups.append({"times": times, "changed": _json(changed, f"{at}.changed")})
    return groups


def _created_at(data: dict, where: str):
    value = data.get("created_at")
    if value is None:
        return None
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    _expect(parsed is not None, f"{where}.created_at", "must be a date and time (ISO 8601)")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, UTC)


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
    return {
        "model": _string(data, "model", where, 200),
        "provider_name": _string(data, "provider_name", where, 100),
        "request_body": _json(body, f"{where}.request_body"),
        "sent_requests": _sent_requests(data.get("sent_requests"), f"{where}.sent_requests"),
        "choices": _choices(data.get("choices", []), f"{where}.choices"),
        "usage": _json(usage, f"{where}.usage"),
        # A run cannot be streaming in a file: it stopped when it was exported.
        "status": RunStatus.INTERRUPTED if status == RunStatus.STREAMING else status,
        "error": _string(data, "error", where, 10_000),
        "notices": [_text(notice, f"{where}.notices") for notice in notices[:20]],
        "form_state": _form_state(data.get("form_state") or {}, f"{where}.form_state"),
        "time_to_first_token_ms": _optional_number(data, "time_to_first_token_ms", where),
        "total_ms": _optional_number(data, "total_ms", where),
        "completion_tokens": _optional_count(data, "completion_tokens", where),
        "tokens_from_usage": _boolean(data, "tokens_from_usage", where),
        "created_at": _created_at(data, where),
    }


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
        "title_is_custom": _boolean(session, "title_is_custom", "session"),
        "model": _string(session, "model", "session", 200),
        "prompt": _string(session, "prompt", "session", settings.PLAYGROUND_MAX_PROMPT_CHARS),
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
