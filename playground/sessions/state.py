"""A session's form state: saved from what the form posts, and given back as its initial data.

The state is kept as typed, even when it is not valid yet, so nothing a user wrote is lost.
"""

from django.conf import settings
from django.utils.datastructures import MultiValueDict

from playground.completions.escapes import decode_escapes
from playground.completions.forms import CompletionForm
from playground.ids import parse_id
from playground.providers.models import Provider

CHECKBOX_FIELDS = ("stream", "include_usage", "echo")
LIST_FIELDS = ("stop", "logit_bias_token", "logit_bias_bias")
# Fields with their own columns on the session.
COLUMN_FIELDS = ("provider", "model", "prompt")
PARAMETER_FIELDS = (
    tuple(
        name
        for name in CompletionForm.base_fields
        if name not in COLUMN_FIELDS and name not in ("stop", "logit_bias")
    )
    + LIST_FIELDS
)

# The parts of the prompt, which may be as long as PLAYGROUND_MAX_PROMPT_CHARS.
PROMPT_PARAMETERS = ("suffix", "prompt_json")
MAX_VALUE_CHARS = 20_000
MAX_LIST_ITEMS = 64


class UnsavableState(ValueError):
    """State the database cannot keep; the message says which field and why."""


class StateTooLarge(UnsavableState):
    pass


def check_text(name: str, value: str) -> None:
    # PostgreSQL refuses NUL in text and JSON, and no database takes a lone surrogate
    # (which a JSON "\ud800" escape on the socket or in a file can make).
    if "\x00" in value:
        raise UnsavableState(f"{name} cannot hold a NUL character.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise UnsavableState(f"{name} is not valid Unicode text.") from None


def parameters_from_data(data: MultiValueDict) -> dict:
    parameters = {}
    for name in PARAMETER_FIELDS:
        if name in CHECKBOX_FIELDS:
            parameters[name] = "on" if data.get(name) else ""
        elif name in LIST_FIELDS:
            values = data.getlist(name)
            if len(values) > MAX_LIST_ITEMS or any(len(v) > MAX_VALUE_CHARS for v in values):
                raise StateTooLarge(f"{name} is too large to save.")
            for value in values:
                check_text(name, value)
            parameters[name] = values
        else:
            value = data.get(name, "")
            cap = (
                settings.PLAYGROUND_MAX_PROMPT_CHARS
                if name in PROMPT_PARAMETERS
                else MAX_VALUE_CHARS
            )
            if len(value) > cap:
                raise StateTooLarge(f"{name} is too large to save ({cap} characters).")
            check_text(name, value)
            parameters[name] = value
    return parameters


def save_state(session, data: MultiValueDict, user) -> None:
    """Copies the posted form into the session (not saved to the database here)."""
    prompt = data.get("prompt", "")
    cap = settings.PLAYGROUND_MAX_PROMPT_CHARS
    if len(prompt) > cap:
        raise StateTooLarge(f"The prompt is too large to save ({cap} characters).")
    check_text("prompt", prompt)
    model = data.get("model", "")[:200]
    check_text("model", model)
    session.parameters = parameters_from_data(data)
    session.prompt = prompt
    session.model = model
    provider_id = parse_id(data.get("provider", ""))
    if provider_id is not None:
        provider = Provider.objects.usable_by(user).filter(pk=provider_id).first()
        if provider is not None:
            session.provider = provider
    session.follow_prompt_title()


def form_initial(session) -> dict:
    """The CompletionForm's initial data for a session."""
    parameters = session.parameters or {}
    initial = {"provider": session.provider, "model": session.model, "prompt": session.prompt}
    for name, value in parameters.items():
        if name in CHECKBOX_FIELDS:
            initial[name] = value == "on"
        elif name not in LIST_FIELDS:
            initial[name] = value
    initial.setdefault("stream", True)
    initial["stop"] = [decode_escapes(v) for v in parameters.get("stop", []) if v]
    tokens = parameters.get("logit_bias_token", [])
    biases = parameters.get("logit_bias_bias", [])
    initial["logit_bias"] = [(t, b) for t, b in zip(tokens, biases, strict=False) if t or b]
    return initial


def session_state(session) -> dict:
    """The whole form as one dict, as a run keeps it for "Restore"."""
    return {
        "provider": str(session.provider_id or ""),
        "model": session.model,
        "prompt": session.prompt,
        **(session.parameters or {}),
    }


def data_from_state(state: dict) -> MultiValueDict:
    data = MultiValueDict()
    for name, value in state.items():
        data.setlist(name, value if isinstance(value, list) else [str(value)])
    return data
