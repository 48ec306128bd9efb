"""Widgets of the parameters panel that Django does not have: stop sequences, the logit_bias
table, and a number with a slider.

The list widgets read what the page posts into the value the session keeps as typed, and
say what the page would post for such a value (data_for), so that a socket message or a
stored state can be read the same way. The slider posts nothing of its own.
"""

from django import forms

from .escapes import encode_escapes

LOGIT_BIAS_ROWS = 4


class StopSequencesWidget(forms.Widget):
    """One input per sequence, all named "stop"; shown in escape notation (\\n for a newline)."""

    template_name = "completions/widgets/stop_sequences.html"

    def __init__(self, count: int, attrs=None):
        super().__init__(attrs)
        self.count = count

    def value_from_datadict(self, data, files, name):
        return [value for value in data.getlist(name) if value != ""]

    def value_omitted_from_data(self, data, files, name):
        return name not in data

    @staticmethod
    def data_for(name: str, values: list[str]) -> dict[str, list[str]]:
        return {name: list(values)}

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        values = [encode_escapes(v) for v in (value or [])]
        values += [""] * (self.count - len(values))
        context["widget"]["values"] = values
        return context

    def format_value(self, value):
        return value


class LogitBiasWidget(forms.Widget):
    """A table of token id -> bias rows, read as [token, bias] pairs of what was typed.

    An HTML form posts name=value pairs only, so the table posts two parallel lists,
    <name>_token and <name>_bias; this is the one place that knows it.
    """

    template_name = "completions/widgets/logit_bias.html"

    @staticmethod
    def posted_names(name: str) -> tuple[str, str]:
        return f"{name}_token", f"{name}_bias"

    @classmethod
    def data_for(cls, name: str, rows: list) -> dict[str, list[str]]:
        token_name, bias_name = cls.posted_names(name)
        return {token_name: [token for token, _ in rows], bias_name: [bias for _, bias in rows]}

    def value_from_datadict(self, data, files, name):
        token_name, bias_name = self.posted_names(name)
        tokens = data.getlist(token_name)
        biases = data.getlist(bias_name)
        rows = []
        for index in range(max(len(tokens), len(biases))):
            token = tokens[index].strip() if index < len(tokens) else ""
            bias = biases[index].strip() if index < len(biases) else ""
            if token or bias:
                rows.append([token, bias])
        return rows

    def value_omitted_from_data(self, data, files, name):
        return self.posted_names(name)[0] not in data

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        rows = [list(row) for row in value or []]
        rows += [["", ""]] * max(LOGIT_BIAS_ROWS - len(rows), 1)
        context["widget"]["rows"] = rows
        context["widget"]["token_name"], context["widget"]["bias_name"] = self.posted_names(name)
        return context

    def format_value(self, value):
        return value


class SliderNumberInput(forms.NumberInput):
    """A number input, the field, with a range slider beside it for the same value.

    The slider has no name: the number alone is posted and saved, so a blank number (the
    parameter left unset, the API's default used) stays blank. Unset, the slider rests on
    the default, marked data-unset (greyed) until moved. playground.js keeps the two in step.
    """

    template_name = "completions/widgets/slider_number.html"

    def __init__(self, *, minimum, maximum, step, default=None, attrs=None):
        bounds = {"min": minimum, "max": maximum, "step": step}
        super().__init__(attrs={**bounds, **(attrs or {})})
        # Unset, the slider shows the API's default, or the middle where it has none.
        self.rest = default if default not in (None, "", "null") else (minimum + maximum) / 2

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        shown = context["widget"]["value"]
        context["widget"]["unset"] = shown in (None, "")
        context["widget"]["slider_value"] = self.rest if shown in (None, "") else shown
        context["widget"]["rest"] = self.rest
        return context
