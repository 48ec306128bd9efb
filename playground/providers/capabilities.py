"""What a provider honours for a model, as its probe measured it, and the quirks that follow.

probe.py measures; a ProviderCapabilities row keeps the results for one provider and one
model; capabilities_for() is how the rest of the app asks. None always means "not known":
never probed, or the probe could not tell from outside.
"""

from dataclasses import dataclass, field, fields
from datetime import datetime

from django.db import transaction
from django.utils.dateparse import parse_datetime

from playground.json_values import is_integer

from .models import Provider, ProviderCapabilities
from .quirks import Quirk

# What max_tokens=0 did (Capabilities.max_tokens_zero), in words.
ZERO_MAX_TOKENS = {
    "nothing": "generates nothing (prompt scoring works)",
    "no-limit": "generates anyway: treated as no limit",
    "rejected": "rejected",
}


def _capability(label: str):
    return field(default=None, metadata={"label": label})


@dataclass(frozen=True)
class Capabilities:
    """One field per measured capability; its label is what the provider's page calls it."""

    reachable: bool | None = _capability("Answers a one-token completion")
    # How many alternatives per token logprobs gives (0: no logprobs at all).
    max_logprobs: int | None = _capability("Most logprobs alternatives per token")
    suffix: bool | None = _capability("suffix (insert mode)")
    # The prompt's own tokens come with logprobs under echo (prompt scoring).
    echo_logprobs: bool | None = _capability("Logprobs of the prompt (echo with logprobs)")
    streamed_echo: bool | None = _capability("echo while streaming")
    # A key of ZERO_MAX_TOKENS.
    max_tokens_zero: str | None = _capability("max_tokens 0")
    n_choices: bool | None = _capability("n above 1 in one request")
    prompt_lists: bool | None = _capability("A list of prompts in one request")
    token_prompts: bool | None = _capability("Token-array prompts")
    best_of: bool | None = _capability("best_of")
    measured_at: datetime | None = None
    # What each result rests on, in words (probe.py), by capability.
    evidence: dict[str, str] = field(default_factory=dict, compare=False)

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls) if "label" in f.metadata]

    @classmethod
    def label(cls, name: str) -> str:
        return next(f.metadata["label"] for f in fields(cls) if f.name == name)

    @classmethod
    def from_row(cls, row: ProviderCapabilities | None) -> "Capabilities":
        if row is None:
            return cls()
        values = {name: stored_value(row.results, name) for name in cls.names()}
        evidence = {name: stored_evidence(row.results, name) for name in cls.names()}
        return cls(**values, measured_at=row.measured_at, evidence=evidence)

    def quirks(self) -> list[str]:
        """The Quirk values execution/fanout.py works around; an unknown is no quirk.

        A refusal counts like an omission where the workaround serves both: n=2 refused or
        answered with one choice is sent as n requests of n=1, either way.
        """
        quirks = []
        if self.n_choices is False:
            quirks.append(Quirk.ONE_CHOICE_PER_REQUEST.value)
        if self.prompt_lists is False:
            quirks.append(Quirk.NO_PROMPT_LISTS.value)
        if self.token_prompts is False:
            quirks.append(Quirk.NO_TOKEN_PROMPTS.value)
        if self.best_of is False:
            quirks.append(Quirk.IGNORES_BEST_OF.value)
        if self.max_tokens_zero == "no-limit":
            quirks.append(Quirk.ZERO_MAX_TOKENS_UNLIMITED.value)
        if self.streamed_echo is False:
            quirks.append(Quirk.NO_STREAMED_ECHO.value)
        return quirks

    def as_json(self) -> dict:
        return {name: getattr(self, name) for name in self.names()}


def stored_value(results: dict, name: str):
    """A result's value as stored, or None when it is missing or not of its field's type."""
    entry = results.get(name) if isinstance(results, dict) else None
    value = entry.get("value") if isinstance(entry, dict) else None
    if name == "max_logprobs":
        return value if isinstance(value, int) and is_integer(value) and value >= 0 else None
    if name == "max_tokens_zero":
        return value if value in ZERO_MAX_TOKENS else None
    return value if isinstance(value, bool) else None


def stored_evidence(results: dict, name: str) -> str:
    entry = results.get(name) if isinstance(results, dict) else None
    evidence = entry.get("evidence") if isinstance(entry, dict) else None
    return evidence if isinstance(evidence, str) else "Not measured yet."


def shown_value(name: str, value) -> str:
    """A value as the provider's page says it."""
    if value is None:
        return "unknown"
    if name == "max_tokens_zero":
        return ZERO_MAX_TOKENS[value]
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def model_or_default(provider: Provider, model: str) -> str:
    return model or provider.default_model


def capabilities_for(provider: Provider, model: str = "") -> Capabilities:
    """What the provider honours for the model ("" for its default model), as last probed."""
    row = ProviderCapabilities.objects.filter(
        provider=provider, model=model_or_default(provider, model)
    ).first()
    return Capabilities.from_row(row)


def record(
    provider: Provider, model: str, results: dict[str, dict], measured_at: datetime
) -> ProviderCapabilities:
    """Keeps a probe's results ({name: {"value", "evidence"}}) for the provider and model.

    Results the probe did not measure this time (all but "reachable", when it could not
    reach the provider) stay as they were, with the time they were measured.
    """
    with transaction.atomic():
        row, _ = ProviderCapabilities.objects.select_for_update().get_or_create(
            provider=provider, model=model, defaults={"measured_at": measured_at}
        )
        merged = dict(row.results) if isinstance(row.results, dict) else {}
        for name, result in results.items():
            merged[name] = {**result, "measured_at": measured_at.isoformat()}
        row.results = merged
        row.measured_at = measured_at
        row.save()
    return row


@dataclass
class Row:
    """One line of a provider's capability table."""

    name: str
    label: str
    shown: str
    evidence: str
    measured_at: datetime | None


def table(row: ProviderCapabilities) -> list[Row]:
    """The stored results of one model, a line per capability, for the provider's page."""
    lines = []
    for name in Capabilities.names():
        entry = row.results.get(name) if isinstance(row.results, dict) else None
        measured = entry.get("measured_at") if isinstance(entry, dict) else None
        lines.append(
            Row(
                name=name,
                label=Capabilities.label(name),
                shown=shown_value(name, stored_value(row.results, name)),
                evidence=stored_evidence(row.results, name),
                measured_at=parse_datetime(measured) if isinstance(measured, str) else None,
            )
        )
    return lines
