"""Prepares a stored run for its template: echoed prompt, tinted tokens and their tips."""

import json
import math
from dataclasses import dataclass, field

from playground.json_values import is_number

from .models import RunStatus


@dataclass
class Segment:
    text: str
    echo: bool = False
    # p0 (improbable) to p9 (near certain); empty when the provider gave no logprob.
    probability_class: str = ""
    tip: str = ""
    # The choice's one Tab stop among its tokens with a tip (a roving tabindex): the first.
    tab_stop: bool = False


@dataclass
class ChoiceView:
    index: int
    finish_reason: str | None
    segments: list[Segment] = field(default_factory=list)
    has_logprobs: bool = False
    # Why the choice has no text of its own, when it has none.
    empty_reason: str = ""

    @property
    def has_tips(self) -> bool:
        """Whether any token has a tip: then its tokens are a group walked with the arrows."""
        return any(segment.tab_stop for segment in self.segments)


def _probability(logprob) -> float:
    # A logprob above 0 is no probability; a provider that sends one must not break the page.
    return math.exp(min(logprob, 0))


def _percent(logprob) -> str:
    return f"{_probability(logprob) * 100:.2f}%"


def _tip(token: str, logprob, alternatives) -> str:
    lines = [f"{json.dumps(token)}  {_percent(logprob)}"]
    if isinstance(alternatives, dict) and alternatives:
        lines.append("Top alternatives:")
        numbered = [(alt, lp) for alt, lp in alternatives.items() if is_number(lp)]
        ranked = sorted(numbered, key=lambda item: item[1], reverse=True)
        lines += [f"  {json.dumps(alt)}  {_percent(lp)}" for alt, lp in ranked]
    return "\n".join(lines)


def _token_segments(logprobs: dict, echo_length: int) -> list[Segment]:
    tokens = logprobs.get("tokens") or []
    token_logprobs = logprobs.get("token_logprobs") or []
    top_logprobs = logprobs.get("top_logprobs") or []
    offsets = logprobs.get("text_offset") or []
    segments = []
    any_tip = False
    for position, token in enumerate(tokens):
        logprob = token_logprobs[position] if position < len(token_logprobs) else None
        alternatives = top_logprobs[position] if position < len(top_logprobs) else None
        offset = offsets[position] if position < len(offsets) else None
        segment = Segment(text=str(token))
        segment.echo = isinstance(offset, int) and offset < echo_length
        if is_number(logprob):
            probability = _probability(logprob)
            segment.probability_class = f"p{min(int(probability * 10), 9)}"
            segment.tip = _tip(str(token), logprob, alternatives)
            segment.tab_stop = not any_tip
            any_tip = True
        segments.append(segment)
    return segments


def _why_empty(run, finish_reason, after_prompt: bool) -> str:
    """Why a choice came back without text, as far as its finish_reason and the run tell."""
    no_text = "No text after the prompt" if after_prompt else "No text"
    body = run.request_body
    match finish_reason:
        case "stop" if body.get("stop"):
            return (
                f'{no_text}: the model stopped at once (finish_reason "stop": a stop sequence '
                "or the end-of-text token came first)."
            )
        case "stop":
            return (
                f'{no_text}: the model stopped at once (finish_reason "stop": the end-of-text '
                "token came first)."
            )
        case "length" if body.get("max_tokens") == 0:
            return f'{no_text}: max_tokens is 0, so the model wrote none (finish_reason "length").'
        case "length":
            return (
                f"{no_text}: the model reached a length limit before writing any "
                '(finish_reason "length": max_tokens, or the prompt filled the context).'
            )
        case "content_filter":
            return (
                f"{no_text}: the provider's content filter held it back "
                '(finish_reason "content_filter").'
            )
        case None | "":
            pass
        case _:
            return f'{no_text} (finish_reason "{finish_reason}").'
    match run.status:
        case RunStatus.STREAMING:
            return ""
        case RunStatus.COMPLETED:
            return f"{no_text}, and the provider gave no finish_reason to say why."
        case RunStatus.STOPPED:
            return f"{no_text}: the run stopped before any arrived."
    return f"{no_text}: the run ended before any arrived."


def choice_views(run) -> list[ChoiceView]:
    echo_prefix = run.prompt_text if run.request_body.get("echo") else ""
    views = []
    for choice in run.choices:
        view = ChoiceView(index=choice["index"], finish_reason=choice.get("finish_reason"))
        text = choice.get("text") or ""
        logprobs = choice.get("logprobs") or {}
        if logprobs.get("tokens") and "".join(map(str, logprobs["tokens"])) == text:
            view.has_logprobs = True
            view.segments = _token_segments(logprobs, len(echo_prefix))
        elif echo_prefix and text.startswith(echo_prefix):
            view.segments = [Segment(echo_prefix, echo=True), Segment(text[len(echo_prefix) :])]
        else:
            view.segments = [Segment(text)]
        echoed = bool(echo_prefix) and text.startswith(echo_prefix)
        if text == (echo_prefix if echoed else ""):
            view.empty_reason = _why_empty(run, view.finish_reason, after_prompt=echoed)
        views.append(view)
    return views


@dataclass
class SentRequest:
    times: int
    body: dict


@dataclass
class SentRequests:
    """The requests that went upstream, when they were not just the run's request body."""

    count: int
    groups: list[SentRequest]


def sent_requests_view(run) -> SentRequests | None:
    """None when the request body went upstream as it is, or the run kept no record of it."""
    sent = run.sent_requests
    if sent is None or sent == [{"times": 1, "changed": {}}]:
        return None
    groups = [SentRequest(g["times"], {**run.request_body, **g["changed"]}) for g in sent]
    return SentRequests(sum(group.times for group in groups), groups)


def pretty_json(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


@dataclass
class ParameterChange:
    name: str
    before: str
    after: str


def _short(value) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"


def parameter_changes(before: dict | None, after: dict) -> list[ParameterChange]:
    """What differs between two request bodies; the first run of a session has nothing."""
    if before is None:
        return []
    changes = []
    for name in sorted(set(before) | set(after)):
        if before.get(name) == after.get(name):
            continue
        if name == "prompt":
            changes.append(ParameterChange("prompt", "…", "edited"))
        else:
            changes.append(ParameterChange(name, _short(before.get(name)), _short(after.get(name))))
    return changes
