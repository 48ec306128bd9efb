"""The completion form: every parameter of POST /completions, validated for page and socket."""

import json

from django import forms
from django.conf import settings

from playground.providers.models import Provider

from .escapes import decode_escapes
from .widgets import MAX_STOP_SEQUENCES, LogitBiasWidget, StopSequencesWidget

# The body fields the form owns; extra JSON may add others but never override these.
PARAMETER_NAMES = (
    "model",
    "prompt",
    "suffix",
    "max_tokens",
    "temperature",
    "top_p",
    "n",
    "stream",
    "stream_options",
    "logprobs",
    "echo",
    "stop",
    "presence_penalty",
    "frequency_penalty",
    "best_of",
    "logit_bias",
    "seed",
    "user",
)

# The API's bounds are OpenAI's (CreateCompletionRequest in its OpenAPI schema). Where it
# sets none, these keep a value within what servers can hold: llama.cpp, for one, reads
# max_tokens into an int32_t (n_predict) and token ids are int32_t (llama_token) there, so
# a larger number would wrap around; no model's context comes near 2**31 tokens anyway.
INT32_MAX = 2**31 - 1
# seed is an int64 in the schema.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
LOGIT_BIAS_MIN, LOGIT_BIAS_MAX = -100, 100
BEST_OF_MAX = 20


def _number(label, minimum, maximum, default, help_text):
    return forms.FloatField(
        label=label,
        required=False,
        min_value=minimum,
        max_value=maximum,
        widget=forms.NumberInput(attrs={"step": "0.01", "placeholder": default}),
        help_text=help_text,
        error_messages={
            "min_value": f"{label} must be between {minimum} and {maximum}.",
            "max_value": f"{label} must be between {minimum} and {maximum}.",
            "invalid": f"{label} must be a number between {minimum} and {maximum}.",
        },
    )


def _integer(label, minimum, maximum, default, help_text):
    bounds = f"between {minimum} and {maximum}"
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=minimum,
        max_value=maximum,
        widget=forms.NumberInput(attrs={"placeholder": default} if default else {}),
        help_text=help_text,
        error_messages={
            "min_value": f"{label} must be {bounds}.",
            "max_value": f"{label} must be {bounds}.",
            "invalid": f"{label} must be a whole number {bounds}.",
        },
    )


def _reject_constant(name: str):
    # Python's json reads NaN and Infinity, but they are not JSON: providers and PostgreSQL
    # reject them, and httpx refuses to send them.
    raise ValueError(f"{name} is not a JSON number")


def _parse_json(text: str, label: str):
    try:
        value = json.loads(text, parse_constant=_reject_constant)
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


def _check_prompt_length(text: str, label: str) -> None:
    cap = settings.PLAYGROUND_MAX_PROMPT_CHARS
    if len(text) > cap:
        raise forms.ValidationError(
            f"{label} is too long: at most {cap:,} characters (it has {len(text):,})."
        )


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class StopSequencesField(forms.Field):
    widget = StopSequencesWidget

    def clean(self, value):
        values = [decode_escapes(v) for v in (value or [])]
        if len(values) > MAX_STOP_SEQUENCES:
            raise forms.ValidationError(
                f"stop takes at most {MAX_STOP_SEQUENCES} sequences; {len(values)} were given."
            )
        if any(v == "" for v in values):
            raise forms.ValidationError("stop sequences may not be empty.")
        return values


class LogitBiasField(forms.Field):
    widget = LogitBiasWidget
    # The schema types a bias as an integer: 1.5 is refused, not rounded. Read as any
    # other whole-number field is (so "5" and "5.0" are 5).
    bias_field = forms.IntegerField(min_value=LOGIT_BIAS_MIN, max_value=LOGIT_BIAS_MAX)

    def clean(self, value):
        bias_by_token = {}
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
                bias_by_token[str(token_id)] = self.bias_field.clean(bias)
            except forms.ValidationError:
                raise forms.ValidationError(
                    f"logit_bias: the bias for token {token_id} must be a whole number "
                    f"between {LOGIT_BIAS_MIN} and {LOGIT_BIAS_MAX}."
                ) from None
        return bias_by_token


class CompletionForm(forms.Form):
    provider = forms.ModelChoiceField(
        queryset=Provider.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": "Choose one of your providers."},
    )
    model = forms.CharField(
        max_length=200,
        help_text="ID of the model to use.",
        error_messages={"required": "model is required: type or pick a model."},
    )
    prompt = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12, "placeholder": "Write a prompt…"}),
        help_text="The text to complete.",
    )
    prompt_json = forms.CharField(
        label="prompt as JSON",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": '["first", "second"] or [1, 2, 3]'}),
        help_text="Advanced: a list of strings, a token list, or a list of token lists. "
        "Used instead of the prompt above.",
    )
    suffix = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Insert mode: the text that comes after the completion.",
    )
    max_tokens = _integer(
        "max_tokens", 0, INT32_MAX, "16", "The maximum number of tokens to generate. Default 16."
    )
    temperature = _number(
        "temperature",
        0,
        2,
        "1",
        "Sampling temperature, 0 to 2. Higher is more random, lower more focused. Default 1.",
    )
    top_p = _number(
        "top_p",
        0,
        1,
        "1",
        "Nucleus sampling: consider the tokens of the top_p probability mass. Default 1.",
    )
    n = _integer("n", 1, 128, "1", "How many completions to generate for each prompt. Default 1.")
    stream = forms.BooleanField(
        required=False, initial=True, help_text="Stream tokens as they are generated."
    )
    include_usage = forms.BooleanField(
        label="stream_options.include_usage",
        required=False,
        help_text="Ask for a final chunk with the token usage (streaming only).",
    )
    logprobs = _integer(
        "logprobs",
        0,
        5,
        "null",
        "Return the log probabilities of the chosen and the most likely tokens, 0 to 5.",
    )
    echo = forms.BooleanField(
        required=False, help_text="Echo back the prompt in addition to the completion."
    )
    stop = StopSequencesField(
        required=False,
        help_text="Up to 4 sequences where generation stops. Write \\n for a newline, \\t for "
        "a tab, \\\\ for a backslash.",
    )
    presence_penalty = _number(
        "presence_penalty",
        -2,
        2,
        "0",
        "-2 to 2. Positive values penalize tokens that already appeared. Default 0.",
    )
    frequency_penalty = _number(
        "frequency_penalty",
        -2,
        2,
        "0",
        "-2 to 2. Positive values penalize tokens by how often they appeared. Default 0.",
    )
    best_of = _integer(
        "best_of",
        0,
        BEST_OF_MAX,
        "1",
        f"Generate best_of completions server-side and return the best, 0 to {BEST_OF_MAX}. "
        "Greater than n when both are set; cannot stream.",
    )
    logit_bias = LogitBiasField(
        required=False,
        help_text="Token id → bias from -100 (ban) to 100 (force).",
    )
    seed = _integer(
        "seed",
        INT64_MIN,
        INT64_MAX,
        None,
        "Sample deterministically, on a best-effort basis. A 64-bit integer.",
    )
    user = forms.CharField(
        required=False, max_length=256, help_text="An end-user id for abuse monitoring."
    )
    extra_body = forms.CharField(
        label="extra body fields",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": '{"top_k": 40, "min_p": 0.05}'}),
        help_text="Advanced: a JSON object of provider-specific fields (top_k, min_p, "
        "repeat_penalty…). It cannot override the parameters above.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = Provider.objects.usable_by(user)

    def parameter_fields(self):
        """The parameter panel's fields; provider, model and the editor are laid out apart."""
        return [self[name] for name in self.fields if name not in self.EDITOR_FIELDS]

    EDITOR_FIELDS = ("provider", "model", "prompt", "suffix")

    def clean_prompt(self):
        _check_prompt_length(self.cleaned_data["prompt"], "prompt")
        return self.cleaned_data["prompt"]

    def clean_suffix(self):
        _check_prompt_length(self.cleaned_data["suffix"], "suffix")
        return self.cleaned_data["suffix"]

    def clean_prompt_json(self):
        # Checked as text, before parsing: it bounds a list's total length and token count.
        _check_prompt_length(self.cleaned_data["prompt_json"], "prompt as JSON")
        text = self.cleaned_data["prompt_json"].strip()
        if not text:
            return None
        prompt = _parse_json(text, "prompt as JSON")
        message = (
            "prompt as JSON must be a list of strings, a list of token ids (integers), "
            "or a list of token lists."
        )
        if not isinstance(prompt, list) or not prompt:
            raise forms.ValidationError(message)
        if all(isinstance(item, str) for item in prompt):
            return prompt
        if all(_is_int(item) for item in prompt):
            return prompt
        if all(isinstance(item, list) and item for item in prompt):
            if all(_is_int(token) for item in prompt for token in item):
                return prompt
            raise forms.ValidationError("Token arrays may contain integers only.")
        if any(isinstance(item, (float, bool)) for item in prompt):
            raise forms.ValidationError("Token arrays may contain integers only.")
        raise forms.ValidationError(message)

    def clean_extra_body(self):
        text = self.cleaned_data["extra_body"].strip()
        if not text:
            return {}
        extra = _parse_json(text, "extra body fields")
        if not isinstance(extra, dict):
            raise forms.ValidationError("extra body fields must be a JSON object.")
        overriding = sorted(set(extra) & set(PARAMETER_NAMES))
        if overriding:
            raise forms.ValidationError(
                f"extra body fields cannot override {', '.join(overriding)}: "
                "use the form's own fields for these."
            )
        return extra

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
        return cleaned
