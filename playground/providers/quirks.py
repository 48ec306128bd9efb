"""Known ways in which OpenAI-compatible providers differ from OpenAI's /v1/completions."""

from django.db import models


class Quirk(models.TextChoices):
    ONE_CHOICE_PER_REQUEST = "one-choice", "Returns one choice per request, whatever n is"
    NO_PROMPT_LISTS = "no-prompt-lists", "Rejects a list of prompts and token-array prompts"
    IGNORES_BEST_OF = "ignores-best-of", "Ignores best_of"
    ZERO_MAX_TOKENS_UNLIMITED = "zero-max-tokens", "Treats max_tokens=0 as no limit"
    NO_STREAMED_ECHO = "no-streamed-echo", "Ignores echo when streaming"


# The embedded local model's server (playground/localmodel/api.py) has none of them.
LLAMA_CPP_QUIRKS: list[str] = []
