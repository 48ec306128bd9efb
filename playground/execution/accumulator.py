"""Merges completion chunks (streamed or whole) into per-choice text, logprobs and usage."""

import json
import math
from dataclasses import dataclass, field

from playground.json_values import is_number

# The raw view keeps at most this much of a response, so a huge stream cannot bloat a row.
RAW_LIMIT_BYTES = 1_000_000
LOGPROB_KEYS = ("tokens", "token_logprobs", "top_logprobs", "text_offset")

# One token as the tokens frame carries it (README, "The websocket protocol"):
# [text, logprob or None, {alternative: logprob} or None].
Token = list


@dataclass
class NewOutput:
    """What arrived since the last look, by choice index: new text, and the tokens that came
    with logprobs, in order. A provider sends a token's text in the same chunk as its
    logprobs, so it is in these texts (a frame sends them first: execution.py)."""

    texts: dict[int, str] = field(default_factory=dict)
    tokens: dict[int, list[Token]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.texts or self.tokens)


class CompletionAccumulator:
    def __init__(self, max_chars: int | None = None):
        """max_chars caps the text kept, all choices together; past it, `capped` is set."""
        self.max_chars = max_chars
        self.text_chars = 0
        self.capped = False
        self._parts: dict[int, list[str]] = {}
        self._logprobs: dict[int, dict[str, list]] = {}
        self._finish: dict[int, str | None] = {}
        # Usage of each upstream request; a run sent as several requests adds them up.
        self._usages: list[dict] = []
        self._index_offset = 0
        self.chunk_count = 0
        self.raw: list = []
        self.raw_truncated = False
        self._raw_bytes = 0

    def start_request(self, index_offset: int) -> None:
        """The next chunks come from another request, whose choice 0 is index_offset."""
        self._index_offset = index_offset
        self._usages.append({})

    @property
    def usage(self) -> dict | None:
        usages = [usage for usage in self._usages if usage]
        if len(usages) <= 1:
            return usages[0] if usages else None
        keys = ("prompt_tokens", "completion_tokens", "total_tokens")
        return {key: sum(u.get(key) or 0 for u in usages) for key in keys}

    def add(self, data: dict, from_provider: bool = True, size: int | None = None) -> NewOutput:
        """Takes one chunk; returns the new text and tokens of each choice it carried.

        A chunk the playground made itself (from_provider=False) stays out of the raw view.
        size: the chunk's length as the provider sent it, when known; else it is measured.
        """
        if from_provider:
            self.chunk_count += 1
            self._keep_raw(data, size)
        if isinstance(data.get("usage"), dict):
            if not self._usages:
                self._usages.append({})
            self._usages[-1] = data["usage"]
        new = NewOutput()
        choices = data.get("choices")
        if not isinstance(choices, list):
            return new
        for position, choice in enumerate(choices):
            if not isinstance(choice, dict):
                continue
            index = choice.get("index", position)
            index = (index if isinstance(index, int) else position) + self._index_offset
            text = choice.get("text") or ""
            if not isinstance(text, str):
                text = str(text)
            kept = self._within_cap(text)
            self._parts.setdefault(index, [])
            if kept:
                self._parts[index].append(kept)
                new.texts[index] = new.texts.get(index, "") + kept
            if isinstance(choice.get("logprobs"), dict):
                logprobs = choice["logprobs"]
                if len(kept) < len(text):
                    logprobs = _within(logprobs, len(kept))
                self._add_logprobs(index, logprobs)
                if tokens := _tokens(logprobs):
                    new.tokens.setdefault(index, []).extend(tokens)
            if choice.get("finish_reason"):
                self._finish[index] = choice["finish_reason"]
        return new

    def _within_cap(self, text: str) -> str:
        if self.max_chars is not None and self.text_chars + len(text) > self.max_chars:
            text = text[: self.max_chars - self.text_chars]
            self.capped = True
        self.text_chars += len(text)
        return text

    def _add_logprobs(self, index: int, logprobs: dict) -> None:
        merged = self._logprobs.setdefault(index, {key: [] for key in LOGPROB_KEYS})
        for key in LOGPROB_KEYS:
            values = logprobs.get(key)
            if isinstance(values, list):
                merged[key].extend(values)

    def _keep_raw(self, data: dict, size: int | None) -> None:
        if self.raw_truncated:
            return
        size = len(json.dumps(data)) if size is None else size
        if self._raw_bytes + size > RAW_LIMIT_BYTES:
            self.raw_truncated = True
            return
        self._raw_bytes += size
        self.raw.append(data)

    @property
    def whole_size(self) -> int:
        """The characters of the text and of the raw response as the provider sent it: what
        shows the run whole, its card, is larger still."""
        return self.text_chars + self._raw_bytes

    @property
    def received_text(self) -> bool:
        return any(self._parts.values())

    def text_of(self, index: int) -> str:
        return "".join(self._parts.get(index, []))

    def choices(self) -> list[dict]:
        indexes = sorted(set(self._parts) | set(self._finish) | set(self._logprobs))
        return [
            {
                "index": index,
                "text": self.text_of(index),
                "logprobs": self._logprobs.get(index),
                "finish_reason": self._finish.get(index),
            }
            for index in indexes
        ]

    def completion_tokens(self, count_chunks: bool = True) -> tuple[int | None, bool]:
        """The completion token count, and whether the provider reported it.

        Without usage or logprobs, a stream's text chunks are about one token each; a whole
        (non-streamed) answer's are one per choice and say nothing, so count_chunks=False.
        """
        if self.usage and isinstance(self.usage.get("completion_tokens"), int):
            return self.usage["completion_tokens"], True
        counted = sum(len(lp["tokens"]) for lp in self._logprobs.values())
        if counted or not count_chunks:
            return (counted or None), False
        pieces = sum(len(parts) for parts in self._parts.values())
        return (pieces or None), False


def _finite(value) -> float | None:
    # Python's json reads NaN and -Infinity, which some servers write for an impossible
    # token; no browser's JSON.parse reads them back.
    return value if is_number(value) and math.isfinite(value) else None


def _tokens(logprobs: dict) -> list[Token]:
    """The tokens of one chunk's logprobs (OpenAI's shape: parallel lists), one entry each."""
    texts = logprobs.get("tokens")
    if not isinstance(texts, list):
        return []
    values = logprobs.get("token_logprobs")
    values = values if isinstance(values, list) else []
    tops = logprobs.get("top_logprobs")
    tops = tops if isinstance(tops, list) else []
    tokens = []
    for position, text in enumerate(texts):
        value = values[position] if position < len(values) else None
        top = tops[position] if position < len(tops) else None
        if isinstance(top, dict):
            top = {str(alternative): _finite(lp) for alternative, lp in top.items()}
        else:
            top = None
        tokens.append([text if isinstance(text, str) else str(text), _finite(value), top])
    return tokens


def _within(logprobs: dict, kept_chars: int) -> dict:
    """A chunk's logprobs without the tokens past its first kept_chars characters of text
    (the output cap cut it there): only the tokens whose whole text was kept."""
    texts = logprobs.get("tokens")
    if not isinstance(texts, list):
        return logprobs
    count, end = 0, 0
    for text in texts:
        start, end = end, end + len(text if isinstance(text, str) else str(text))
        if start >= kept_chars or end > kept_chars:
            break
        count += 1
    return {
        key: value[:count] if key in LOGPROB_KEYS and isinstance(value, list) else value
        for key, value in logprobs.items()
    }
