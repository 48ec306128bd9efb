"""Batches streamed text and tokens into websocket frames, so a fast model never floods the page."""

import asyncio
import time
from collections.abc import Awaitable, Callable

from .accumulator import NewOutput, Token

# At most one frame per interval. Slower models (a token every 20 ms or more) still get one
# frame per token with no added delay; faster ones get their tokens batched.
FRAME_INTERVAL = 0.016


class FrameCoalescer:
    """Sends what was added, at most once per FRAME_INTERVAL, as one NewOutput: the text and
    the tokens that came since the last send, so a tick's tokens go with their text."""

    def __init__(self, send: Callable[[NewOutput], Awaitable[None]]):
        self._send = send
        self._texts: dict[int, list[str]] = {}
        self._tokens: dict[int, list[Token]] = {}
        self._wake = asyncio.Event()
        self._closing = False
        self._last_sent = 0.0
        self._task = asyncio.create_task(self._pump())

    def add(self, new: NewOutput) -> None:
        for index, text in new.texts.items():
            self._texts.setdefault(index, []).append(text)
        for index, tokens in new.tokens.items():
            self._tokens.setdefault(index, []).extend(tokens)
        self._wake.set()

    async def close(self) -> None:
        """Sends what is pending and stops; everything added has been sent when this returns."""
        self._closing = True
        self._wake.set()
        await self._task

    async def _pump(self) -> None:
        while True:
            await self._wake.wait()
            wait = self._last_sent + FRAME_INTERVAL - time.monotonic()
            if wait > 0 and not self._closing:
                await asyncio.sleep(wait)
            self._wake.clear()
            if self._texts or self._tokens:
                texts, self._texts = self._texts, {}
                tokens, self._tokens = self._tokens, {}
                self._last_sent = time.monotonic()
                await self._send(NewOutput({i: "".join(p) for i, p in texts.items()}, tokens))
            # What was added while that was being sent goes out before the pump stops.
            if self._closing and not (self._texts or self._tokens):
                return
