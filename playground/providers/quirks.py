"""Ways in which OpenAI-compatible providers depart from OpenAI's /v1/completions.

Nobody types them in: capabilities.Capabilities.quirks() derives them from what the probe
(probe.py) measured for a provider and a model, and execution/fanout.py works around them.
"""

from django.db import models


class Quirk(models.TextChoices):
    ONE_CHOICE_PER_REQUEST = "one-choice", "Returns one choice per request, whatever n is"
    NO_PROMPT_LISTS = "no-prompt-lists", "Rejects a list of prompts"
    NO_TOKEN_PROMPTS = "no-token-prompts", "Rejects token-array prompts"
    IGNORES_BEST_OF = "ignores-best-of", "Ignores best_of"
    ZERO_MAX_TOKENS_UNLIMITED = "zero-max-tokens", "Treats max_tokens=0 as no limit"
    NO_STREAMED_ECHO = "no-streamed-echo", "Ignores echo when streaming"
