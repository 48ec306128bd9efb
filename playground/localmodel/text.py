"""Token bytes to text, stop sequences and text offsets: the part of generation that is text.

Tokens may split a UTF-8 character. A token's text is what it completes: the token that
ends a character carries the whole character, the tokens before it carry "" (so the tokens'
texts always join into the choice's text, and every token keeps its logprob). Bytes that can
never form a character become U+FFFD.
"""

import codecs
from dataclasses import dataclass, field


@dataclass
class Token:
    text: str
    # Offset of the token's text in the prompt + completion text, in characters (OpenAI's
    # text_offset).
    offset: int
    logprob: float | None = None
    # The top alternatives, {text: logprob}; None when logprobs were not asked for.
    top: dict[str, float] | None = None


class Utf8Text:
    """Turns a stream of byte pieces into text, one piece at a time."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def add(self, piece: bytes) -> str:
        return self._decoder.decode(piece)

    def flush(self) -> str:
        """The text of a character left unfinished at the end (U+FFFD), or ""."""
        return self._decoder.decode(b"", final=True)


@dataclass
class StopScanner:
    """Holds back text that may be the start of a stop sequence; cuts the text at one.

    add() takes each generated token and returns the tokens that are now safe to send, and
    whether a stop sequence was found (then the text ends just before it).
    """

    stops: list[str]
    # Characters before the generated text (the prompt): offsets count from the prompt's start.
    base_offset: int = 0
    text: str = ""
    pending: list[Token] = field(default_factory=list)
    stopped: bool = False

    def add(self, token_text: str, logprob=None, top=None) -> list[Token]:
        start = len(self.text)
        self.text += token_text
        self.pending.append(Token(token_text, self.base_offset + start, logprob, top))
        if not self.stops:
            return self._release(len(self.text))
        longest = max(len(stop) for stop in self.stops)
        search_from = max(0, start - longest + 1)
        found = [
            position for stop in self.stops if (position := self.text.find(stop, search_from)) != -1
        ]
        if found:
            self._cut(min(found))
            self.stopped = True
            return self._release(len(self.text))
        return self._release(len(self.text) - self._held_back())

    def finish(self, tail: str = "") -> list[Token]:
        """Everything still held back, once generation ended without a stop sequence."""
        if tail:
            if self.pending:
                self.pending[-1].text += tail
            self.text += tail
        return self._release(len(self.text))

    def _held_back(self) -> int:
        """How many trailing characters might start a stop sequence."""
        for length in range(min(len(self.text), max(len(s) for s in self.stops) - 1), 0, -1):
            tail = self.text[-length:]
            if any(stop.startswith(tail) for stop in self.stops):
                return length
        return 0

    def _cut(self, position: int) -> None:
        """Ends the text just before a stop sequence at position: the tokens from there on
        are dropped, and one that straddles it keeps only its text before it."""
        self.text = self.text[:position]
        kept = []
        for token in self.pending:
            start = token.offset - self.base_offset
            if start >= position:
                break
            token.text = token.text[: position - start]
            kept.append(token)
        self.pending = kept

    def _release(self, upto: int) -> list[Token]:
        released = []
        while self.pending:
            token = self.pending[0]
            end = token.offset - self.base_offset + len(token.text)
            if end > upto:
                break
            released.append(self.pending.pop(0))
        return released
