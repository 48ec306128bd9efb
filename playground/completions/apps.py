"""The completion request: its parameters, form and body."""

from django.apps import AppConfig


class CompletionsConfig(AppConfig):
    name = "playground.completions"
