"""Running completions: streaming, fan-out, coalescing, caps and the run socket."""

from django.apps import AppConfig


class ExecutionConfig(AppConfig):
    name = "playground.execution"
