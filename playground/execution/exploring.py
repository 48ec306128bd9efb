"""The next-token explorer and prompt scoring: their one-token requests, and their answers.

Explore: the distribution of the token after the prompt, without generating further (one
token, with as many alternatives as the provider gives). Score: the prompt's own tokens,
each with its log probability (echo and logprobs, generating nothing), and the prompt's
perplexity. Neither is a run: nothing is stored, and the session is left as it is. Their
caps are in limits.py (refusal_to_explore) and consumers.py (one of each kind in flight on
a socket).
"""

import contextlib
import logging
import math
import re
from dataclasses import dataclass, field
from enum import StrEnum

from playground.completions.forms import CompletionForm
from playground.completions.messages import form_data_from_message
from playground.completions.parameters import get as get_parameter
from playground.completions.request_body import build_request_body
from playground.json_values import is_integer, is_number
from playground.providers.capabilities import capabilities_for
from playground.providers.client import UpstreamError, stream_completion
from playground.providers.models import Provider
from playground.providers.quirks import Quirk
from playground.sockets.outgoing import MAX_FRAME_BYTES, encode

from .limits import refusal_to_explore

logger = logging.getLogger(__name__)

# The most alternatives the explorer asks for. The page sends what the provider was
# measured to return (OpenAI's schema says 5, and many servers give more); this only keeps
# a client from asking for the whole vocabulary.
MAX_EXPLORE_LOGPROBS = 100
# What the explorer asks for when the message does not say.
DEFAULT_EXPLORE_LOGPROBS = 5

# The form fields these requests set themselves: a message's values for them are not read
# (nor validated: an invalid best_of must not stop exploring, which never sends it). The
# prompt is the message's text prompt, so prompt_json is left out too.
SET_HERE = (
    "prompt_json",
    "suffix",
    "max_tokens",
    "n",
    "best_of",
    "stream",
    "include_usage",
    "logprobs",
    "echo",
)
# A message's fields that are no form fields.
MESSAGE_ONLY = ("request", "session")
# Body fields these requests never send, whatever the form built.
NEVER_SENT = ("suffix", "best_of", "echo", "stream_options")

MAX_REQUEST_ID_CHARS = 100

NO_PROMPT_LOGPROBS = (
    "This provider returned no log probabilities for the prompt's own tokens, "
    "so the prompt cannot be scored."
)
INTERNAL_ERROR = "The playground hit an internal error answering this request; it is logged."


class Kind(StrEnum):
    EXPLORE = "explore"
    SCORE = "score"


class Unreadable(Exception):
    """The provider's answer does not carry what was asked for; the text says what."""


def request_id(message: dict) -> str | int | None:
    """The client's id for the request, echoed in the answer; None when it is no id."""
    value = message.get("request")
    if isinstance(value, str) and 0 < len(value) <= MAX_REQUEST_ID_CHARS:
        return value
    if isinstance(value, int) and is_integer(value) and abs(value) < 2**53:
        # Within what a JavaScript number holds exactly.
        return value
    return None


@dataclass
class Lookup:
    """One explorer or scoring request, validated and ready to send (or refused)."""

    kind: Kind
    request: str | int
    prompt: str = ""
    provider: Provider | None = None
    body: dict = field(default_factory=dict)
    # Why it is not sent, when it is not.
    error: str = ""

    def frame(self, **fields) -> dict:
        return {"type": f"{self.kind}.result", "request": self.request, **fields}

    def error_frame(self, error: str) -> dict:
        return {"type": f"{self.kind}.error", "request": self.request, "error": error}


def _form_error(form: CompletionForm) -> str:
    """The form's first error, as one sentence that names its field."""
    for name, messages in form.errors.items():
        message = str(messages[0])
        parameter = get_parameter(name)
        label = parameter.shown_label if parameter else name
        if name == "__all__" or name in message or label in message:
            return message
        return f"{label}: {message}"
    return "The form is not valid."


def _explore_logprobs(value) -> int | None:
    """How many alternatives to ask for, within 1 to MAX_EXPLORE_LOGPROBS; None if no number."""
    if value is None or value == "":
        return DEFAULT_EXPLORE_LOGPROBS
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,18}", value.strip()):
        # As the page's number inputs send it; long strings are no int() for it to chew on.
        value = int(value.strip())
    if not is_integer(value):
        return None
    return min(max(value, 1), MAX_EXPLORE_LOGPROBS)


def prepare(user, kind: Kind, request: str | int, message: dict) -> Lookup:
    """Validates a message with the completion form and builds its request; counts it
    against the user's cap. Runs in the database thread (the form looks the provider up)."""
    lookup = Lookup(kind, request)
    logprobs = DEFAULT_EXPLORE_LOGPROBS
    if kind is Kind.EXPLORE:
        asked = _explore_logprobs(message.get("logprobs"))
        if asked is None:
            lookup.error = (
                f"logprobs must be a whole number: how many alternatives to show "
                f"(1 to {MAX_EXPLORE_LOGPROBS})."
            )
            return lookup
        logprobs = asked
    fields = {k: v for k, v in message.items() if k not in SET_HERE + MESSAGE_ONLY}
    form = CompletionForm(form_data_from_message(fields), user=user)
    if not form.is_valid():
        lookup.error = _form_error(form)
        return lookup
    lookup.prompt = form.cleaned_data["prompt"] or ""
    if kind is Kind.SCORE and not lookup.prompt:
        lookup.error = "The prompt is empty: there is nothing to score."
        return lookup
    refusal = refusal_to_explore(user)
    if refusal:
        lookup.error = refusal
        return lookup
    lookup.provider = form.cleaned_data["provider"]
    body = {k: v for k, v in build_request_body(form.cleaned_data).items() if k not in NEVER_SENT}
    body.update(n=1, stream=False)
    if kind is Kind.EXPLORE:
        body.update(max_tokens=1, logprobs=logprobs)
    else:
        # Quirk (llama-cpp-python, and others that read 0 as "no limit"): max_tokens=0 would
        # generate to the end of the context. One token is asked for instead, and dropped.
        quirks = capabilities_for(lookup.provider, form.cleaned_data["model"]).quirks()
        zero_unlimited = Quirk.ZERO_MAX_TOKENS_UNLIMITED in quirks
        body.update(max_tokens=1 if zero_unlimited else 0, logprobs=1, echo=True)
    lookup.body = body
    return lookup


async def _whole_response(provider: Provider, body: dict) -> dict:
    chunks = stream_completion(provider, body)
    async with contextlib.aclosing(chunks):
        async for chunk in chunks:
            return chunk.data
    raise UpstreamError("The provider sent an empty response.")


def _first_choice(data: dict) -> dict:
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise Unreadable("The provider's answer has no choices: it is not a completion.")
    return choices[0]


def _logprob(value) -> float | None:
    # A number JSON can carry: Python's json reads NaN and Infinity, which it cannot write.
    return float(value) if is_number(value) and math.isfinite(value) else None


@dataclass
class _Token:
    text: str
    logprob: float | None
    # The alternatives at this position, token text -> logprob, when given.
    top: dict[str, float] = field(default_factory=dict)
    offset: int | None = None


def _top(entries) -> dict[str, float]:
    top: dict[str, float] = {}
    if isinstance(entries, dict):
        entries = [{"token": text, "logprob": lp} for text, lp in entries.items()]
    if not isinstance(entries, list):
        return top
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        text, logprob = entry.get("token"), _logprob(entry.get("logprob"))
        if isinstance(text, str) and logprob is not None:
            # Two ids can read as the same text: the more likely one stands for both.
            top[text] = max(logprob, top.get(text, logprob))
    return top


def _tokens(choice: dict) -> list[_Token] | None:
    """The choice's tokens with their logprobs, from either shape providers send; None
    when it has none.

    OpenAI's (legacy completions): parallel lists tokens, token_logprobs, top_logprobs (one
    object of text -> logprob per position) and text_offset. llama.cpp's server answers
    /v1/completions in the chat shape instead: content, a list of {token, logprob,
    top_logprobs: [{token, logprob}]}, with no offsets, and for generated tokens only.
    """
    logprobs = choice.get("logprobs")
    if not isinstance(logprobs, dict):
        return None
    texts = logprobs.get("tokens")
    if isinstance(texts, list):
        values = logprobs.get("token_logprobs")
        tops = logprobs.get("top_logprobs")
        offsets = logprobs.get("text_offset")

        def at(items, i):
            return items[i] if isinstance(items, list) and i < len(items) else None

        return [
            _Token(
                str(text),
                _logprob(at(values, i)),
                _top(at(tops, i)),
                offset if is_integer(offset := at(offsets, i)) else None,
            )
            for i, text in enumerate(texts)
        ]
    content = logprobs.get("content")
    if isinstance(content, list):
        return [
            _Token(
                str(entry.get("token", "")),
                _logprob(entry.get("logprob")),
                _top(entry.get("top_logprobs")),
            )
            for entry in content
            if isinstance(entry, dict)
        ]
    return None


def explore_result(data: dict, prompt: str) -> dict:
    """The next token's distribution: the one sampled, and the alternatives, likeliest first."""
    choice = _first_choice(data)
    tokens = _tokens(choice)
    if not tokens or (tokens[0].logprob is None and not tokens[0].top):
        ended = ""
        if choice.get("finish_reason") == "stop" and not choice.get("text"):
            ended = " (the model may have ended the text here)"
        raise Unreadable(f"The provider returned no probabilities for the next token{ended}.")
    first = tokens[0]
    alternatives = dict(first.top)
    if first.logprob is not None:
        alternatives.setdefault(first.text, first.logprob)
    ranked = sorted(alternatives.items(), key=lambda item: item[1], reverse=True)
    return {
        "prompt_chars": len(prompt),
        "chosen": first.text,
        "alternatives": [{"text": text, "logprob": logprob} for text, logprob in ranked],
    }


def _echoed(choice: dict, tokens: list[_Token], prompt: str) -> bool:
    """Whether the answer begins with the prompt: whether the provider honoured echo."""
    text = choice.get("text")
    if isinstance(text, str) and text.startswith(prompt):
        return True
    return "".join(token.text for token in tokens).startswith(prompt)


def score_result(data: dict, prompt: str) -> dict:
    """The prompt's tokens with their logprobs (the first has none: nothing comes before it),
    and the prompt's perplexity over those that have one."""
    choice = _first_choice(data)
    tokens = _tokens(choice)
    # Without echo, or with logprobs for generated tokens only (llama.cpp's server), the
    # tokens are not the prompt's, whatever their offsets say.
    if not tokens or not _echoed(choice, tokens, prompt):
        raise Unreadable(NO_PROMPT_LOGPROBS)
    if any(token.offset is None for token in tokens):
        # Offsets left out: the tokens of an echoed prompt follow one another from 0.
        position = 0
        for token in tokens:
            token.offset, position = position, position + len(token.text)
    # What follows the prompt (the token generated for a provider that reads max_tokens=0
    # as no limit) is left out.
    own = [token for token in tokens if token.offset is not None and token.offset < len(prompt)]
    logprobs = [token.logprob for token in own if token.logprob is not None]
    if not own or (not logprobs and len(own) > 1):
        raise Unreadable(NO_PROMPT_LOGPROBS)
    perplexity = None
    if logprobs:
        with contextlib.suppress(OverflowError):
            perplexity = math.exp(-sum(logprobs) / len(logprobs))
    return {
        "tokens": [
            {"text": token.text, "logprob": token.logprob, "offset": token.offset} for token in own
        ],
        "perplexity": perplexity,
        "scored": len(logprobs),
    }


async def answer(lookup: Lookup) -> dict:
    """Sends the request and returns the frame for its answer: a result, or an error."""
    if lookup.provider is None:
        return lookup.error_frame(lookup.error)
    try:
        data = await _whole_response(lookup.provider, lookup.body)
        if lookup.kind is Kind.EXPLORE:
            frame = lookup.frame(**explore_result(data, lookup.prompt))
        else:
            frame = lookup.frame(**score_result(data, lookup.prompt))
    except UpstreamError as exc:
        return lookup.error_frame(exc.message)
    except Unreadable as exc:
        return lookup.error_frame(str(exc))
    except Exception:
        logger.exception("Could not answer a %s request", lookup.kind)
        return lookup.error_frame(INTERNAL_ERROR)
    if len(encode(frame)) > MAX_FRAME_BYTES:
        # Frames are one websocket message each (outgoing.py); this one would be dropped.
        count = len(frame.get("tokens") or frame.get("alternatives") or [])
        return lookup.error_frame(
            f"The answer ({count:,} tokens) is too large for one frame: score a shorter prompt."
        )
    return frame
