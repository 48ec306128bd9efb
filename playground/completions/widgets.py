"""Widgets for the list-valued parameters: stop sequences and the logit_bias table."""

from django import forms

from .escapes import encode_escapes

MAX_STOP_SEQUENCES = 4
LOGIT_BIAS_ROWS = 4


class StopSequencesWidget(forms.Widget):
    """Four inputs named "stop"; values are shown in escape notation (\\n for a newline)."""

    template_name = "completions/widgets/stop_sequences.html"

    def value_from_datadict(self, data, files, name):
        return [value for value in data.getlist(name) if value != ""]

    def value_omitted_from_data(self, data, files, name):
        return name not in data

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        values = [encode_escapes(v) for v in (value or [])]
        values += [""] * (MAX_STOP_SEQUENCES - len(values))
        context["widget"]["values"] = values
        return context

    def format_value(self, value):
        return value


class LogitBiasWidget(forms.Widget):
    """A table of token id -> bias rows, posted as parallel <name>_token / <name>_bias lists."""

    template_name = "completions/widgets/logit_bias.html"

    def value_from_datadict(self, data, files, name):
        tokens = data.getlist(f"{name}_token")
        biases = data.getlist(f"{name}_bias")
        rows = []
        for index in range(max(len(tokens), len(biases))):
            token = tokens[index].strip() if index < len(tokens) else ""
            bias = biases[index].strip() if index < len(biases) else ""
            if token or bias:
                rows.append((token, bias))
        return rows

    def value_omitted_from_data(self, data, files, name):
        return f"{name}_token" not in data

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if isinstance(value, dict):
            rows = [(token, bias) for token, bias in value.items()]
        else:
            rows = list(value or [])
        rows += [("", "")] * max(LOGIT_BIAS_ROWS - len(rows), 1)
        context["widget"]["rows"] = rows
        return context

    def format_value(self, value):
        return value
