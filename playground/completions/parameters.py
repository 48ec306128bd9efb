"""The registry of completion parameters: each one described once, the rest derived from it.

One entry per parameter the playground sends to POST /completions: its name, type, bounds,
the API's default, help text, widget, whether it is everyday or advanced, and how it goes
into the request body. Nothing else lists parameters. From this registry come:

- the form's fields, with their bounds and error messages (forms.py), for page and socket;
- the request body (request_body.py) and the snippets' SDK arguments (snippets.py);
- a socket message's fields (messages.py);
- what a session saves of the form and gives back (sessions/state.py), and with it the
  parameters part of the import schema (sessions/transfer.py).

So adding a parameter, such as top_k for the providers that take it, is one register():

    register(Parameter(name="top_k", type=Type.INTEGER, minimum=0, maximum=INT32_MAX,
                       help_text="Sample from the k most likely tokens.",
                       in_openai_schema=False))

The bounds are those of OpenAI's API schema (CreateCompletionRequest). Where it sets none,
they keep a value within what servers can hold: llama.cpp, for one, reads max_tokens into
an int32_t (n_predict) and token ids are int32_t (llama_token) there, so a larger number
would wrap around; no model's context comes near 2**31 tokens anyway.

logit_bias has one shape inside the app: a list of [token, bias] pairs, in the order they
were written; strings as typed (the saved state, the form's initial data, its widget),
integers once the form has cleaned them. Pairs rather than the API's object because the
state keeps what was typed before it is valid: two rows with the same token, or a bias
whose token is still blank, would be lost as the keys of an object. The other shapes are
converted at the edges: the page's table posts two parallel lists (logit_bias_token,
logit_bias_bias), which its widget reads into pairs; a socket message may send the API's
object, which messages.py turns into the page's post; request_body.py writes the API's
object for the provider.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum

from .widgets import LogitBiasWidget, StopSequencesWidget

INT32_MAX = 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class Type(StrEnum):
    """What the value is; it picks the form field that cleans it."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    SEQUENCES = "sequences"  # strings in escape notation (stop)
    TOKEN_BIASES = "token biases"  # [token id, bias] pairs (logit_bias)
    PROMPT_JSON = "prompt JSON"  # JSON text: strings, a token list or token lists
    OBJECT_JSON = "object JSON"  # JSON text: an object of fields for the body
    VARIABLES = "variables"  # JSON text: an object of {{name}} -> value (variables.py)


class Widget(StrEnum):
    """How the page shows it, which also says how the page posts it and a session keeps it."""

    TEXT = "text"
    TEXTAREA = "textarea"
    NUMBER = "number"
    # A number input with a range slider beside it, for a number with both bounds. The
    # number is the field, posted and kept like NUMBER's; the slider has no name.
    SLIDER = "slider and number"
    CHECKBOX = "checkbox"
    STOP_SEQUENCES = "stop sequences"
    LOGIT_BIAS = "logit bias table"


class Level(StrEnum):
    EVERYDAY = "everyday"
    ADVANCED = "advanced"


class Body(StrEnum):
    """How a cleaned value goes into the request body."""

    ALWAYS = "always"  # in every request (model, prompt, stream)
    WHEN_SET = "when set"  # only when given: not blank, not an empty list, not off
    STREAM_OPTION = "stream option"  # a flag in stream_options, sent only while streaming
    MERGED = "merged"  # a JSON object whose fields join the body (extra_body)
    NEVER = "never"  # not a field of the body: it changes how the form asks (show_probabilities)


_WIDGETS = {
    Type.STRING: Widget.TEXT,
    Type.INTEGER: Widget.NUMBER,
    Type.NUMBER: Widget.SLIDER,
    Type.BOOLEAN: Widget.CHECKBOX,
    Type.SEQUENCES: Widget.STOP_SEQUENCES,
    Type.TOKEN_BIASES: Widget.LOGIT_BIAS,
    Type.PROMPT_JSON: Widget.TEXTAREA,
    Type.OBJECT_JSON: Widget.TEXTAREA,
    # Posted and kept as text; the page shows a box per variable (static/variables.js).
    Type.VARIABLES: Widget.TEXT,
}


@dataclass(frozen=True, kw_only=True, eq=False)
class Parameter:
    name: str
    type: Type
    help_text: str
    # Shown (and named in errors) instead of the name, for a field that is not one API field.
    label: str = ""
    # Numbers: the bounds. logit_bias: a bias's bounds.
    minimum: int | float | None = None
    maximum: int | float | None = None
    # Numbers: the step of the page's number input and slider (whole numbers step by 1).
    step: float = 0.01
    # stop: how many sequences.
    max_items: int | None = None
    # The API's default, shown as a placeholder ("null" where it has none).
    default: str | None = None
    # The form's value in a session that never saved one.
    initial: bool | None = None
    required: bool = False
    required_message: str = ""
    max_length: int | None = None
    # Text that may be as long as a prompt (PLAYGROUND_MAX_PROMPT_CHARS).
    prompt_sized: bool = False
    # False keeps leading and trailing spaces, which matter in a prompt.
    strip: bool = True
    widget: Widget | None = None
    widget_attrs: dict = field(default_factory=dict)
    level: Level = Level.EVERYDAY
    body: Body = Body.WHEN_SET
    # The body field it fills, when that is not its name (prompt_json fills "prompt").
    body_key: str = ""
    # In OpenAI's CreateCompletionRequest: the openai SDK takes it as an argument; others
    # go in the SDK's extra_body.
    in_openai_schema: bool = True

    def __post_init__(self):
        if self.widget is None:
            widget = _WIDGETS[self.type]
            # A slider needs both ends; an unbounded number is a number input alone.
            if widget is Widget.SLIDER and (self.minimum is None or self.maximum is None):
                widget = Widget.NUMBER
            object.__setattr__(self, "widget", widget)

    @property
    def shown_label(self) -> str:
        return self.label or self.name

    @property
    def key(self) -> str:
        """The request body's field for it."""
        if self.body is Body.STREAM_OPTION:
            return "stream_options"
        return self.body_key or self.name

    @property
    def posted_names(self) -> tuple[str, ...]:
        """The names the page's form posts it under."""
        if self.widget is Widget.LOGIT_BIAS:
            return LogitBiasWidget.posted_names(self.name)
        return (self.name,)

    def typed_value(self, data):
        """What was typed for it in a form's post (a MultiValueDict), as a session keeps it.

        Text for most; "on" or "" for a checkbox (a browser posts nothing for one that is
        off); a list of strings for stop; [token, bias] pairs for logit_bias. Blank
        entries of a list are left out.
        """
        if self.widget is Widget.CHECKBOX:
            return "on" if data.get(self.name) else ""
        if self.widget is Widget.STOP_SEQUENCES:
            return StopSequencesWidget(count=self.max_items).value_from_datadict(
                data, {}, self.name
            )
        if self.widget is Widget.LOGIT_BIAS:
            return LogitBiasWidget().value_from_datadict(data, {}, self.name)
        value = data.get(self.name)
        return "" if value is None else value

    def form_data(self, value) -> dict[str, list[str]]:
        """What the page's form would post for a value as a session keeps it."""
        if self.widget is Widget.CHECKBOX:
            return {self.name: ["on"]} if value == "on" else {}
        if self.widget is Widget.STOP_SEQUENCES:
            return StopSequencesWidget.data_for(self.name, value)
        if self.widget is Widget.LOGIT_BIAS:
            return LogitBiasWidget.data_for(self.name, value)
        return {self.name: [value]}


_registry: dict[str, Parameter] = {}


def register(parameter: Parameter, *, after: str | None = None) -> Parameter:
    """Adds a parameter: at the end, or after the one named (the form shows them in order)."""
    if parameter.name in _registry:
        raise ValueError(f"A parameter named {parameter.name} is registered already.")
    if after is None:
        _registry[parameter.name] = parameter
        return parameter
    if after not in _registry:
        raise ValueError(f"No parameter named {after} to register {parameter.name} after.")
    entries = list(_registry.items())
    position = [name for name, _ in entries].index(after) + 1
    entries.insert(position, (parameter.name, parameter))
    _registry.clear()
    _registry.update(entries)
    return parameter


def unregister(name: str) -> None:
    del _registry[name]


@contextmanager
def registered_while(parameter: Parameter, *, after: str | None = None) -> Iterator[Parameter]:
    """A parameter registered for the length of a with block (a test's, say)."""
    register(parameter, after=after)
    try:
        yield parameter
    finally:
        unregister(parameter.name)


def registered() -> tuple[Parameter, ...]:
    """Every parameter, in the form's order. Read it when needed, never once at import:
    a parameter may be registered later."""
    return tuple(_registry.values())


def get(name: str) -> Parameter | None:
    return _registry.get(name)


def body_keys() -> set[str]:
    """The body fields that parameters fill; extra body fields may not override them."""
    return {p.key for p in registered() if p.body is not Body.MERGED}


register(
    Parameter(
        name="model",
        type=Type.STRING,
        max_length=200,
        required=True,
        required_message="model is required: type or pick a model.",
        help_text="ID of the model to use.",
        body=Body.ALWAYS,
    )
)
register(
    Parameter(
        name="prompt",
        type=Type.STRING,
        strip=False,
        prompt_sized=True,
        widget=Widget.TEXTAREA,
        widget_attrs={"rows": 12, "placeholder": "Write a prompt…"},
        help_text="The text to complete.",
        body=Body.ALWAYS,
    )
)
register(
    Parameter(
        name="prompt_json",
        type=Type.PROMPT_JSON,
        label="prompt as JSON",
        prompt_sized=True,
        widget_attrs={"rows": 3, "placeholder": '["first", "second"] or [1, 2, 3]'},
        help_text="Advanced: a list of strings, a token list, or a list of token lists. "
        "Used instead of the prompt above.",
        level=Level.ADVANCED,
        # Registered after prompt, so that when it is set it replaces the prompt's text.
        body_key="prompt",
    )
)
register(
    Parameter(
        name="suffix",
        type=Type.STRING,
        strip=False,
        prompt_sized=True,
        widget=Widget.TEXTAREA,
        widget_attrs={"rows": 2},
        help_text="Insert mode: the text that comes after the completion.",
    )
)
register(
    Parameter(
        name="variables",
        type=Type.VARIABLES,
        label="Variables",
        prompt_sized=True,
        help_text="A value for each {{name}} in the prompt and suffix, filled in before a run "
        "is sent.",
        body=Body.NEVER,
        in_openai_schema=False,
    )
)
register(
    Parameter(
        name="max_tokens",
        type=Type.INTEGER,
        minimum=0,
        maximum=INT32_MAX,
        default="16",
        help_text="The maximum number of tokens to generate. Default 16.",
    )
)
register(
    Parameter(
        name="temperature",
        type=Type.NUMBER,
        minimum=0,
        maximum=2,
        default="1",
        help_text="Sampling temperature, 0 to 2. Higher is more random, lower more focused. "
        "Default 1.",
    )
)
register(
    Parameter(
        name="top_p",
        type=Type.NUMBER,
        minimum=0,
        maximum=1,
        default="1",
        help_text="Nucleus sampling: consider the tokens of the top_p probability mass. Default 1.",
    )
)
register(
    Parameter(
        name="n",
        type=Type.INTEGER,
        minimum=1,
        maximum=128,
        default="1",
        help_text="How many completions to generate for each prompt. Default 1.",
    )
)
register(
    Parameter(
        name="stream",
        type=Type.BOOLEAN,
        initial=True,
        help_text="Stream tokens as they are generated.",
        body=Body.ALWAYS,
    )
)
register(
    Parameter(
        name="include_usage",
        type=Type.BOOLEAN,
        label="stream_options.include_usage",
        help_text="Ask for a final chunk with the token usage (streaming only).",
        level=Level.ADVANCED,
        body=Body.STREAM_OPTION,
    )
)
register(
    Parameter(
        name="show_probabilities",
        type=Type.BOOLEAN,
        label="Show probabilities",
        help_text="Ask for each token's probability and as many alternatives as the provider "
        "allows (logprobs, under Advanced, overrides it).",
        body=Body.NEVER,
        in_openai_schema=False,
    )
)
register(
    Parameter(
        name="logprobs",
        type=Type.INTEGER,
        minimum=0,
        maximum=5,
        default="null",
        help_text="Return the log probabilities of the chosen and the most likely tokens, 0 to 5. "
        "Show probabilities asks for the most the provider allows instead.",
        level=Level.ADVANCED,
    )
)
register(
    Parameter(
        name="echo",
        type=Type.BOOLEAN,
        help_text="Echo back the prompt in addition to the completion.",
    )
)
register(
    Parameter(
        name="stop",
        type=Type.SEQUENCES,
        max_items=4,
        help_text="Up to 4 sequences where generation stops. Write \\n for a newline, \\t for "
        "a tab, \\\\ for a backslash.",
    )
)
register(
    Parameter(
        name="presence_penalty",
        type=Type.NUMBER,
        minimum=-2,
        maximum=2,
        default="0",
        help_text="-2 to 2. Positive values penalize tokens that already appeared. Default 0.",
    )
)
register(
    Parameter(
        name="frequency_penalty",
        type=Type.NUMBER,
        minimum=-2,
        maximum=2,
        default="0",
        help_text="-2 to 2. Positive values penalize tokens by how often they appeared. Default 0.",
    )
)
register(
    Parameter(
        name="best_of",
        type=Type.INTEGER,
        minimum=0,
        maximum=20,
        default="1",
        help_text="Generate best_of completions server-side and return the best, 0 to 20. "
        "Greater than n when both are set; cannot stream.",
    )
)
register(
    Parameter(
        name="logit_bias",
        type=Type.TOKEN_BIASES,
        minimum=-100,
        maximum=100,
        help_text="Token id → bias from -100 (ban) to 100 (force).",
    )
)
register(
    Parameter(
        name="seed",
        type=Type.INTEGER,
        minimum=INT64_MIN,
        maximum=INT64_MAX,
        help_text="Sample deterministically, on a best-effort basis. A 64-bit integer.",
    )
)
register(
    Parameter(
        name="user",
        type=Type.STRING,
        max_length=256,
        help_text="An end-user id for abuse monitoring.",
    )
)
register(
    Parameter(
        name="extra_body",
        type=Type.OBJECT_JSON,
        label="extra body fields",
        widget_attrs={"rows": 3, "placeholder": '{"top_k": 40, "min_p": 0.05}'},
        help_text="Advanced: a JSON object of provider-specific fields (top_k, min_p, "
        "repeat_penalty…). It cannot override the parameters above.",
        level=Level.ADVANCED,
        body=Body.MERGED,
        in_openai_schema=False,
    )
)
