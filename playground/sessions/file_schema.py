"""The session file's format, as JSON Schema, and the check of a file against it.

The format is session_file.schema.json, draft 2020-12, completed here with what the code
decides: the parameters as a session keeps them (from the parameter registry, through
state.parameters_schema), the prompt cap and the run statuses. It is checked with
jsonschema, and a refusal names the place: "runs[3].choices[0].index must be an integer".

What a schema cannot say is checked beside it: that the file is one (format and version,
so that any other JSON gets that answer), and that its text can be stored.
"""

import copy
import json
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.utils.dateparse import parse_datetime
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators

from playground.json_values import is_integer
from playground.runs.models import RunStatus
from playground.runs.tree import LOOKS, MAX_LOOK_STRETCHES

from .state import UnsavableState, check_text, parameters_schema

_TEMPLATE = json.loads(Path(__file__).with_name("session_file.schema.json").read_text())

FORMAT = _TEMPLATE["properties"]["format"]["const"]
VERSION = _TEMPLATE["properties"]["version"]["const"]
MAX_RUNS = _TEMPLATE["properties"]["runs"]["maxItems"]
MAX_DEPTH = _TEMPLATE["$defs"]["anyJson"]["maxDepth"]
# No valid file nests deeper: the deepest fields kept as they are (a choice's logprobs, a
# sent request's changes) start five levels down.
MAX_FILE_DEPTH = MAX_DEPTH + 8


def file_schema() -> dict:
    """The format: the schema file, with what the code decides filled in."""
    schema = copy.deepcopy(_TEMPLATE)
    defs = schema["$defs"]
    defs["parameters"].update(parameters_schema())
    defs["promptText"]["maxLength"] = settings.PLAYGROUND_MAX_PROMPT_CHARS
    defs["runStatus"]["enum"] = list(RunStatus.values)
    defs["looks"]["maxItems"] = MAX_LOOK_STRETCHES
    defs["looks"]["items"]["prefixItems"][0]["enum"] = list(LOOKS)
    return schema


def _entries(container):
    return iter(container.items()) if isinstance(container, dict) else enumerate(container)


def _depth(value, limit: int) -> int:
    """How many containers deep a value goes, counting no further than past the limit."""
    deepest, stack = 0, [(value, 0)]
    while stack and deepest <= limit:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth + 1)
            stack.extend((child, depth + 1) for _, child in _entries(item))
    return deepest


def _max_depth(validator, limit, instance, schema):
    # The format's own keyword, for values kept as they are: rendering them must not
    # recurse without end.
    if _depth(instance, limit) > limit:
        yield ValidationError(f"is nested more than {limit} levels deep")


_formats = FormatChecker(formats=())


@_formats.checks("date-time", raises=ValueError)
def _is_date_time(value) -> bool:
    return not isinstance(value, str) or parse_datetime(value) is not None


_FileValidator = validators.extend(
    Draft202012Validator,
    validators={"maxDepth": _max_depth},
    # JSON Schema counts 1.0 as an integer; a count or an index is written as one here.
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda checker, value: is_integer(value)
    ),
)


def where(path) -> str:
    """A place in the file as JavaScript would write it: runs[3].choices[0].index."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.isidentifier():
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part[:40] + ('…' if len(part) > 40 else ''))}]"
    return text or "The file"


_TYPES = {
    "string": "a string",
    "object": "an object",
    "array": "a list",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}
_LIMITS = {
    "maxLength": "is longer than {} characters",
    "maxItems": "has more than {} items",
    "minItems": "has fewer than {} items",
    "maxDepth": "is nested too deeply (more than {} levels)",
}


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def _reason(error: ValidationError) -> str:
    # jsonschema's own messages quote the whole value, which may be megabytes of it.
    kind, limit, schema = error.validator, error.validator_value, error.schema
    if kind == "required":
        missing = next(name for name in limit if name not in error.instance)
        return f"{where([*error.absolute_path, missing])} is missing"
    place = where(error.absolute_path)
    if schema.get("format") == "date-time":
        return f"{place} must be a date and time (ISO 8601)"
    if kind == "type":
        return f"{place} must be {' or '.join(_TYPES[name] for name in _listed(limit))}"
    if kind in ("minimum", "maximum"):
        number = "a whole number" if "integer" in _listed(schema.get("type")) else "a number"
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is None or high is None:
            return f"{place} must be {number} {'at most' if low is None else 'at least'} {limit}"
        return f"{place} must be {number} from {low} to {high}"
    if kind in ("enum", "const"):
        return f"{place} must be one of {', '.join(json.dumps(o) for o in _listed(limit))}"
    if kind in _LIMITS:
        return f"{place} {_LIMITS[kind].format(limit)}"
    return f"{place} does not match the format ({kind})"


def _unstorable(data) -> str | None:
    """Text a database cannot store, anywhere in the file (names too), or a file nested
    deeper than any valid one, which the schema's checks need not go through."""
    stack: list[tuple[Iterator, tuple]] = (
        [(_entries(data), ())] if isinstance(data, (dict, list)) else []
    )
    while stack:
        entries, path = stack[-1]
        for key, value in entries:
            try:
                if isinstance(key, str):
                    check_text(f"A name in {where(path)}", key)
                if isinstance(value, str):
                    check_text(where((*path, key)), value)
            except UnsavableState as exc:
                return str(exc)
            if isinstance(value, (dict, list)):
                if len(path) + 1 >= MAX_FILE_DEPTH:
                    return "The file is nested too deeply."
                stack.append((_entries(value), (*path, key)))
                break
        else:
            stack.pop()
    return None


def refusal(data) -> str | None:
    """Why a file (read as JSON) is not a session file, or None when it is one."""
    if not (isinstance(data, dict) and data.get("format") == FORMAT):
        return "The file is not a session export."
    version = data.get("version")
    if not (is_integer(version) and version == VERSION):
        return f"The file has an unknown version (expected {VERSION})."
    unstorable = _unstorable(data)
    if unstorable:
        return unstorable
    errors = _FileValidator(file_schema(), format_checker=_formats).iter_errors(data)
    # One reason: the one nearest the top, where the most is wrong; the first there.
    error = min(errors, key=lambda e: len(e.absolute_path), default=None)
    return f"{_reason(error)}." if error else None
