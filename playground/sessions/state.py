"""A session's form state: saved from what the form posts, and given back as its initial data.

The state is kept as typed, even when it is not valid yet, so nothing a user wrote is lost.
It holds every registered parameter (completions/parameters.py) but those with a column of their
own on the session, each in the shape its widget types it: text, "on" or "" for a
checkbox, a list of strings for stop, [token, bias] pairs for logit_bias.
"""

import json
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils.datastructures import MultiValueDict

from playground.completions import parameters as registry
from playground.completions.escapes import decode_escapes
from playground.completions.parameters import Parameter, Widget
from playground.ids import parse_id
from playground.providers.models import Provider
from playground.runs.tree import (
    choice_count,
    document,
    document_text_and_looks,
    looks_are_valid,
    node_id,
    parse_node,
    typed,
)

from .models import PlaygroundSession

# Fields with their own columns on the session.
COLUMN_FIELDS = ("provider", "model", "prompt", "looks", "node")

MAX_VALUE_CHARS = 20_000
MAX_LIST_ITEMS = 64


class UnsavableState(ValueError):
    """State the database cannot keep; the message says which field and why."""


class StateTooLarge(UnsavableState):
    pass


def saved_parameters() -> list[Parameter]:
    """The parameters a session keeps in its parameters field: all but its columns."""
    return [p for p in registry.registered() if p.name not in COLUMN_FIELDS]


def check_text(name: str, value: str) -> None:
    # PostgreSQL refuses NUL in text and JSON, and no database takes a lone surrogate
    # (which a JSON "\ud800" escape on the socket or in a file can make).
    if "\x00" in value:
        raise UnsavableState(f"{name} cannot hold a NUL character.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise UnsavableState(f"{name} is not valid Unicode text.") from None


def value_cap(parameter: Parameter) -> int:
    """The most characters one value (or one item of a list) may have."""
    return settings.PLAYGROUND_MAX_PROMPT_CHARS if parameter.prompt_sized else MAX_VALUE_CHARS


def _checked(parameter: Parameter, value):
    name, cap = parameter.name, value_cap(parameter)
    if isinstance(value, str):
        if len(value) > cap:
            raise StateTooLarge(f"{name} is too large to save ({cap} characters).")
        check_text(name, value)
        return value
    texts = [text for item in value for text in (item if isinstance(item, list) else [item])]
    if len(value) > MAX_LIST_ITEMS or any(len(text) > cap for text in texts):
        raise StateTooLarge(f"{name} is too large to save.")
    for text in texts:
        check_text(name, text)
    return value


def _saved_schema(parameter: Parameter) -> dict:
    text = {"type": "string", "maxLength": value_cap(parameter)}
    if parameter.widget is Widget.CHECKBOX:
        return {"enum": ["on", ""]}
    if parameter.widget is Widget.STOP_SEQUENCES:
        return {"type": "array", "maxItems": MAX_LIST_ITEMS, "items": text}
    if parameter.widget is Widget.LOGIT_BIAS:
        pair = {"type": "array", "prefixItems": [text, text], "minItems": 2, "maxItems": 2}
        return {"type": "array", "maxItems": MAX_LIST_ITEMS, "items": pair}
    return text


def parameters_schema() -> dict:
    """The saved parameters as JSON Schema, for the import format: each as a session keeps it.

    Names that are no parameter are allowed and ignored, as a newer file may have them.
    """
    properties = {}
    for parameter in saved_parameters():
        properties[parameter.name] = {
            "title": parameter.shown_label,
            "description": parameter.help_text,
            **_saved_schema(parameter),
        }
        for name in parameter.posted_names:
            if name != parameter.name:
                properties[name] = {
                    "description": f"Older files: {parameter.name} as the page posted it.",
                    "deprecated": True,
                    "type": "array",
                    "maxItems": MAX_LIST_ITEMS,
                    "items": {"type": "string", "maxLength": MAX_VALUE_CHARS},
                }
    return {
        "description": "The form's parameters as typed, valid or not yet (a number is its "
        'text), each in the shape its field keeps: text; "on" or "" for a checkbox; a '
        "list of strings for stop; [token, bias] pairs of strings for logit_bias. A "
        "parameter left out is blank; a name that is no parameter is ignored.",
        "type": "object",
        "properties": properties,
    }


def parameters_from_data(data: MultiValueDict, posted: Iterable[str] | None = None) -> dict:
    """The parameters as typed in a form's post, checked so that the database can keep them;
    given posted (names a post may set), only the parameters posted under any of them."""
    names = None if posted is None else set(posted)
    return {
        p.name: _checked(p, p.typed_value(data))
        for p in saved_parameters()
        if names is None or not names.isdisjoint(p.posted_names)
    }


def _apply(session, data: MultiValueDict, user, keep_document: bool = False) -> None:
    prompt = data.get("prompt", "")
    cap = settings.PLAYGROUND_MAX_PROMPT_CHARS
    if len(prompt) > cap:
        raise StateTooLarge(f"The prompt is too large to save ({cap} characters).")
    check_text("prompt", prompt)
    model = data.get("model", "")[:200]
    check_text("model", model)
    parameters = parameters_from_data(data)
    if keep_document:
        # The document is prompt, suffix, looks and node: all four stay as stored.
        session.parameters = {**parameters, "suffix": (session.parameters or {}).get("suffix", "")}
    else:
        session.parameters = parameters
        session.prompt = prompt
        session.looks = _looks(data.get("looks", ""), len(prompt) + len(data.get("suffix", "")))
        session.node = data.get("node", "") if parse_node(data.get("node", "")) else ""
    session.model = model
    provider_id = parse_id(data.get("provider", ""))
    if provider_id is not None:
        provider = Provider.objects.usable_by(user).filter(pk=provider_id).first()
        if provider is not None:
            session.provider = provider
    session.follow_prompt_title()


def _looks(text: str, length: int) -> list:
    """The editor's looks as posted, or all typed when they are missing or do not fit."""
    try:
        looks = json.loads(text) if text else None
    except ValueError:
        looks = None
    return looks if isinstance(looks, list) and looks_are_valid(looks, length) else typed(length)


def save_state(session, data: MultiValueDict, user) -> bool:
    """Copies the posted form into the session (not saved to the database here).

    False when the post's document is older than the stored one (a run was taken in since
    the page had it: see document_version): then everything but the document is copied.
    """
    current = document_is_current(session, data.get("document_version", ""))
    _apply(session, data, user, keep_document=not current)
    return current


def document_is_current(session, posted_version: str) -> bool:
    """Whether a post's document is based on the stored one. A post without a version (an
    import, a run's state put back) is."""
    try:
        version = int(posted_version)
    except ValueError:
        return True
    return version >= session.document_version


def restore_state(session, state: dict, user) -> None:
    """Puts a state a run kept (session_state) back into the session, by the same rules."""
    _apply(session, data_from_state(state), user)


def form_initial(session) -> dict:
    """The CompletionForm's initial data for a session."""
    saved = session.parameters or {}
    initial = {"provider": session.provider, "model": session.model, "prompt": session.prompt}
    for parameter in saved_parameters():
        value = saved.get(parameter.name)
        if parameter.widget is Widget.CHECKBOX:
            initial[parameter.name] = value == "on" if value is not None else parameter.initial
        elif parameter.widget is Widget.STOP_SEQUENCES:
            # Kept in escape notation, as typed; the form's value is the text it stands for.
            initial[parameter.name] = [decode_escapes(v) for v in value or [] if v]
        elif parameter.widget is Widget.LOGIT_BIAS:
            initial[parameter.name] = [list(row) for row in value or [] if any(row)]
        elif value is not None:
            initial[parameter.name] = value
    return initial


def session_state(session) -> dict:
    """The whole form as one dict, as a run keeps it for "Restore"."""
    return {
        "provider": str(session.provider_id or ""),
        "model": session.model,
        "prompt": session.prompt,
        "looks": json.dumps(session.looks or []),
        "node": session.node,
        **(session.parameters or {}),
    }


def data_from_state(state: dict) -> MultiValueDict:
    """What the page's form would post for a state (session_state's, or a file's).

    A parameter missing from the state is posted blank. Files and runs from before
    logit_bias was kept as pairs hold what the page posted for it (logit_bias_token and
    logit_bias_bias lists), which is read as such.
    """
    data: MultiValueDict = MultiValueDict()
    for name in COLUMN_FIELDS:
        if name in state:
            data.setlist(name, [state[name]])
    for parameter in saved_parameters():
        if parameter.name in state:
            posted = parameter.form_data(state[parameter.name])
        else:
            posted = {name: state[name] for name in parameter.posted_names if name in state}
        for name, values in posted.items():
            data.setlist(name, values if isinstance(values, list) else [values])
    return data


def take_in_run(run) -> None:
    """A finished run from the editor becomes its session's document: its first choice's
    node, as the page then shows it. Stored here, with the run, so that a reload at once,
    before the page's own save has gone, shows the completion too. Each taking in adds one
    to the session's document_version.
    """
    if run.session_id is None or choice_count(run) == 0:
        return
    doc = document(run, 0)
    if not doc["text"]:
        return
    text, looks = document_text_and_looks(doc)
    if len(text) > settings.PLAYGROUND_MAX_PROMPT_CHARS:
        return
    with transaction.atomic():
        # Afresh, and locked (on PostgreSQL) until saved: the parameters may have been edited
        # and saved while the run streamed, and a save of the page's may be on its way.
        session = PlaygroundSession.objects.select_for_update().filter(pk=run.session_id).first()
        if session is None:
            return
        session.prompt = text
        session.looks = looks
        session.node = node_id(run.pk, 0)
        session.document_version += 1
        # The text after the cursor is in the document now, not waiting to be sent.
        session.parameters = {**(session.parameters or {}), "suffix": ""}
        session.follow_prompt_title()
        session.save(
            update_fields=[
                "prompt",
                "looks",
                "node",
                "document_version",
                "parameters",
                "title",
                "updated_at",
            ]
        )
