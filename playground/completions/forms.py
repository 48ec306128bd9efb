"""The completion form: every registered parameter, validated for page and socket.

The fields come from the registry (parameters.py), one per parameter, built for each form
rather than once at import, so that a parameter registered later has its field too. Here
are what a field cannot say alone: the rules between fields, and the provider.
"""

import copy
import json

from django import forms
from django.conf import settings

from playground.form_cycles import FreedWhenDropped
from playground.json_values import is_integer, strict_loads
from playground.providers.capabilities import capabilities_for
from playground.providers.models import Provider

from . import variables
from .escapes import decode_escapes
from .parameters import INT32_MAX, Level, Parameter, Type, Widget, body_keys, get, registered
from .widgets import LogitBiasWidget, SliderNumberInput, StopSequencesWidget


def _parse_json(text: str, label: str):
    try:
        value = strict_loads(text)
    except json.JSONDecodeError as exc:
        raise forms.ValidationError(
            f"{label} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        ) from exc
    except ValueError as exc:
        raise forms.ValidationError(f"{label} is not valid JSON: {exc}.") from exc
    except RecursionError as exc:
        raise forms.ValidationError(f"{label} is nested too deeply.") from exc
    # A "\u0000" escape decodes to NUL, which PostgreSQL cannot store in a run.
    if "\\u0000" in json.dumps(value):
        raise forms.ValidationError(f"{label} cannot hold a NUL character (\\u0000).")
    return value


class PromptLength:
    """At most PLAYGROUND_MAX_PROMPT_CHARS characters, read when checked (tests change it)."""

    def __init__(self, label: str):
        self.label = label

    def __call__(self, text: str) -> None:
        cap = settings.PLAYGROUND_MAX_PROMPT_CHARS
        if len(text) > cap:
            raise forms.ValidationError(
                f"{self.label} is too long: at most {cap:,} characters (it has {len(text):,})."
            )


class StopSequencesField(forms.Field):
    def __init__(self, *, max_items: int, **kwargs):
        self.max_items = max_items
        kwargs.setdefault("widget", StopSequencesWidget(count=max_items))
        super().__init__(**kwargs)

    def clean(self, value):
        values = [decode_escapes(v) for v in (value or [])]
        if len(values) > self.max_items:
            raise forms.ValidationError(
                f"stop takes at most {self.max_items} sequences; {len(values)} were given."
            )
        if any(v == "" for v in values):
            raise forms.ValidationError("stop sequences may not be empty.")
        return values


class LogitBiasField(forms.Field):
    """[token, bias] pairs of text, cleaned into pairs of integers."""

    widget = LogitBiasWidget

    def __init__(self, *, minimum: int | None, maximum: int | None, **kwargs):
        self.minimum, self.maximum = minimum, maximum
        # The schema types a bias as an integer: 1.5 is refused, not rounded. Read as any
        # other whole-number field is (so "5" and "5.0" are 5).
        self.bias_field = forms.IntegerField(min_value=minimum, max_value=maximum)
        super().__init__(**kwargs)

    def clean(self, value):
        pairs = []
        for token, bias in value or []:
            try:
                token_id = int(token)
            except ValueError:
                raise forms.ValidationError(
                    f"logit_bias: token id {token!r} is not a whole number."
                ) from None
            if token_id < 0:
                raise forms.ValidationError(f"logit_bias: token id {token_id} is negative.")
            if token_id > INT32_MAX:
                raise forms.ValidationError(
                    f"logit_bias: token id {token_id} is too large (at most {INT32_MAX})."
                )
            try:
                pairs.append([token_id, self.bias_field.clean(bias)])
            except forms.ValidationError:
                raise forms.ValidationError(
                    f"logit_bias: the bias for token {token_id} must be a whole number "
                    f"between {self.minimum} and {self.maximum}."
                ) from None
        return pairs


class PromptJSONField(forms.CharField):
    """A list of strings, a token list, or a list of token lists, as JSON text."""

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        prompt = _parse_json(text, self.label)
        message = (
            f"{self.label} must be a list of strings, a list of token ids (integers), "
            "or a list of token lists."
        )
        if not isinstance(prompt, list) or not prompt:
            raise forms.ValidationError(message)
        if all(isinstance(item, str) for item in prompt):
            return prompt
        if all(is_integer(item) for item in prompt):
            return prompt
        if all(isinstance(item, list) and item for item in prompt):
            if all(is_integer(token) for item in prompt for token in item):
                return prompt
            raise forms.ValidationError("Token arrays may contain integers only.")
        if any(isinstance(item, (float, bool)) for item in prompt):
            raise forms.ValidationError("Token arrays may contain integers only.")
        raise forms.ValidationError(message)


class ExtraBodyField(forms.CharField):
    """A JSON object of fields for the body, none of them one a parameter fills."""

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return {}
        extra = _parse_json(text, self.label)
        if not isinstance(extra, dict):
            raise forms.ValidationError(f"{self.label} must be a JSON object.")
        overriding = sorted(set(extra) & body_keys())
        if overriding:
            raise forms.ValidationError(
                f"{self.label} cannot override {', '.join(overriding)}: "
                "use the form's own fields for these."
            )
        return extra


class VariablesField(forms.CharField):
    """The values of the prompt's variables, as the page posts them: a JSON object."""

    widget = forms.HiddenInput

    def clean(self, value):
        text = super().clean(value)
        try:
            return variables.parse_values(text or "")
        except ValueError as exc:
            raise forms.ValidationError(f"{self.label}: {exc}.") from None


def _text_widget(parameter: Parameter, **attrs):
    attrs = {**parameter.widget_attrs, **attrs}
    if parameter.widget is Widget.TEXTAREA:
        return forms.Textarea(attrs=attrs)
    return forms.TextInput(attrs=attrs or None)


def _common(parameter: Parameter) -> dict:
    return {
        # None lets Django name it, which the template shows as the API's name.
        "label": parameter.label or None,
        "required": parameter.required,
        "help_text": parameter.help_text,
    }


def _string(parameter: Parameter) -> forms.Field:
    return forms.CharField(
        **_common(parameter),
        strip=parameter.strip,
        max_length=parameter.max_length,
        widget=_text_widget(parameter),
        validators=[PromptLength(parameter.shown_label)] if parameter.prompt_sized else [],
        error_messages=(
            {"required": parameter.required_message} if parameter.required_message else {}
        ),
    )


def _bounds_messages(parameter: Parameter, kind: str) -> dict:
    label, low, high = parameter.shown_label, parameter.minimum, parameter.maximum
    return {
        "min_value": f"{label} must be between {low} and {high}.",
        "max_value": f"{label} must be between {low} and {high}.",
        "invalid": f"{label} must be {kind} between {low} and {high}.",
    }


def _placeholder(parameter: Parameter) -> dict:
    return {"placeholder": parameter.default} if parameter.default else {}


def _whole(bound: int | float | None) -> int | None:
    # An integer parameter's bounds are whole numbers (the registry checks it).
    return None if bound is None else int(bound)


def _integer(parameter: Parameter) -> forms.Field:
    return forms.IntegerField(
        **_common(parameter),
        min_value=_whole(parameter.minimum),
        max_value=_whole(parameter.maximum),
        widget=forms.NumberInput(attrs=_placeholder(parameter)),
        error_messages=_bounds_messages(parameter, "a whole number"),
    )


def _number_widget(parameter: Parameter) -> forms.Widget:
    if parameter.widget is Widget.SLIDER:
        return SliderNumberInput(
            minimum=parameter.minimum,
            maximum=parameter.maximum,
            step=parameter.step,
            default=parameter.default,
            attrs=_placeholder(parameter),
        )
    return forms.NumberInput(attrs={"step": parameter.step, **_placeholder(parameter)})


def _number(parameter: Parameter) -> forms.Field:
    return forms.FloatField(
        **_common(parameter),
        min_value=parameter.minimum,
        max_value=parameter.maximum,
        widget=_number_widget(parameter),
        error_messages=_bounds_messages(parameter, "a number"),
    )


def _boolean(parameter: Parameter) -> forms.Field:
    return forms.BooleanField(**_common(parameter), initial=parameter.initial)


def _sequences(parameter: Parameter) -> forms.Field:
    return StopSequencesField(**_common(parameter), max_items=parameter.max_items or 0)


def _token_biases(parameter: Parameter) -> forms.Field:
    return LogitBiasField(
        **_common(parameter), minimum=_whole(parameter.minimum), maximum=_whole(parameter.maximum)
    )


def _json_text(field_class):
    def make(parameter: Parameter) -> forms.Field:
        return field_class(
            **_common(parameter),
            widget=_text_widget(parameter),
            # Checked as text, before parsing: it bounds a list's length and token count.
            validators=[PromptLength(parameter.shown_label)] if parameter.prompt_sized else [],
        )

    return make


def _variables(parameter: Parameter) -> forms.Field:
    # Hidden: static/variables.js shows a box per variable of the prompt and writes this.
    return VariablesField(
        **_common(parameter), validators=[PromptLength(parameter.shown_label)], strip=False
    )


_FIELDS = {
    Type.STRING: _string,
    Type.INTEGER: _integer,
    Type.NUMBER: _number,
    Type.BOOLEAN: _boolean,
    Type.SEQUENCES: _sequences,
    Type.TOKEN_BIASES: _token_biases,
    Type.PROMPT_JSON: _json_text(PromptJSONField),
    Type.OBJECT_JSON: _json_text(ExtraBodyField),
    Type.VARIABLES: _variables,
}


# What "Show probabilities" asks for where the provider's limit is not measured: OpenAI's.
SHOWN_LOGPROBS = 5


def most_logprobs(provider, model) -> int:
    """The most alternatives a token may have from this provider and model, as its probe
    measured; OpenAI's 5 where it was not measured (or found none)."""
    if provider is None:
        return SHOWN_LOGPROBS
    measured = capabilities_for(provider, model or "").max_logprobs
    return measured if measured else SHOWN_LOGPROBS


def parameter_field(parameter: Parameter) -> forms.Field:
    return _FIELDS[parameter.type](parameter)


class ProviderField(forms.ModelChoiceField):
    """The provider, looked up among the user's usable ones; with a memo (a dict), forms that
    share it look each provider up once (a comparison's columns, execution/comparing.py)."""

    memo: dict | None = None

    def to_python(self, value):
        if self.memo is None or value in self.empty_values:
            return super().to_python(value)
        key = str(value)
        if key not in self.memo:
            self.memo[key] = super().to_python(value)
        return self.memo[key]


class CompletionForm(FreedWhenDropped, forms.Form):
    provider = ProviderField(
        queryset=Provider.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": "Choose one of your providers."},
    )

    # Laid out by hand in the page; the parameter panel shows the other fields in order.
    EDITOR_FIELDS = ("provider", "model", "prompt", "suffix", "show_probabilities", "variables")

    def __init__(
        self, *args, user, fill_variables: bool = False, providers: dict | None = None, **kwargs
    ):
        """fill_variables: a run's form, whose prompt and suffix are sent with their
        {{variables}} filled in (variables.py). Other requests (the next-token explorer,
        scoring) read positions in the document as written, so are not filled.
        providers: a memo of the providers looked up, shared by forms validated together."""
        super().__init__(*args, **kwargs)
        self.fill_variables = fill_variables
        provider: ProviderField = self.fields["provider"]  # type: ignore[assignment]
        provider.queryset = Provider.objects.usable_by(user)
        provider.memo = providers
        for parameter in registered():
            self.fields[parameter.name] = parameter_field(parameter)

    def bound_again(self, data) -> "CompletionForm":
        """This form bound to other data, without making its fields again (a comparison's
        columns: execution/comparing.py). Its fields keep nothing of a validation; the new
        form has its own data, errors and cleaned data."""
        form = copy.copy(self)
        form.data = data
        form._errors = None  # type: ignore[attr-defined]
        form._bound_fields_cache = {}  # type: ignore[attr-defined]
        return form

    def parameter_fields(self, level: Level | None = None):
        """The parameter panel's fields, of one level if given; provider, model and the
        editor are laid out apart."""
        return [
            self[name]
            for name in self.fields
            if name not in self.EDITOR_FIELDS
            and (level is None or getattr(get(name), "level", None) is level)
        ]

    def everyday_fields(self):
        return self.parameter_fields(Level.EVERYDAY)

    def advanced_fields(self):
        return self.parameter_fields(Level.ADVANCED)

    def advanced_in_use(self) -> bool:
        """Whether an advanced parameter is set: the page then shows them open, since a
        hidden value (a JSON prompt, say) would change runs unseen."""
        return any(field.value() not in (None, "", False) for field in self.advanced_fields())

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("prompt") and cleaned.get("prompt_json"):
            self.add_error("prompt_json", "Use either the prompt or the JSON prompt, not both.")
        n = cleaned.get("n")
        best_of = cleaned.get("best_of")
        if best_of is not None:
            # The schema: "best_of must be greater than n" when both are set. best_of == n
            # would only cost best_of samples to return the same number unranked.
            if n is not None and best_of <= n:
                self.add_error("best_of", f"best_of must be greater than n ({n}).")
            if cleaned.get("stream"):
                self.add_error("best_of", "best_of cannot be used with stream: turn stream off.")
        if cleaned.get("include_usage") and not cleaned.get("stream"):
            self.add_error("include_usage", "include_usage needs stream on.")
        if cleaned.get("show_probabilities") and cleaned.get("logprobs") is None:
            cleaned["logprobs"] = most_logprobs(cleaned.get("provider"), cleaned.get("model"))
        if self.fill_variables:
            self._fill_variables(cleaned)
        return cleaned

    def _fill_variables(self, cleaned: dict) -> None:
        """The prompt and suffix as sent: their variables filled in, each within the cap."""
        values = cleaned.get("variables")
        if values is None:
            return  # the variables field has its own error
        for name in ("prompt", "suffix"):
            if cleaned.get(name) is None:
                continue
            try:
                filled = variables.fill(cleaned[name], values)
                PromptLength(f"{name}, with its variables filled in,")(filled)
            except (variables.MissingValues, forms.ValidationError) as exc:
                message = exc.messages[0] if isinstance(exc, forms.ValidationError) else str(exc)
                self.add_error(name, message)
            else:
                cleaned[name] = filled
