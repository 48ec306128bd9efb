"""Batches streamed text into websocket frames, so a fast model never floods the page."""

import asyncio
import time
from collections.abc import Awaitable, Callable

# At most one frame per interval. Slower models (a token every 20 ms or more) still get one
# frame per token with no added delay; faster ones get their tokens batched.
FRAME_INTERVAL = 0.016


class FrameCoalescer:
    def __init__(self, send_frame: Callable[[dict[int, str]], Awaitable[None]]):
        self._send_frame = send_frame
        self._pending: dict[int, list[str]] = {}
        self._wake = asyncio.Event()
        self._closing = False
        self._last_sent = 0.0
        self._task = asyncio.create_task(self._pump())

    def add(self, deltas: dict[int, str]) -> None:
        for index, text in deltas.items():
            self._pending.setdefault(index, []).append(text)
        self._wake.set()

    async def close(self) -> None:
        """Sends what is pending and stops; every added text has been sent when this returns."""
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
            if self._pending:
                pending, self._pending = self._pending, {}
                self._last_sent = time.monotonic()
                await self._send_frame({i: "".join(parts) for i, parts in pending.items()})
            # Text added while that frame was being sent goes out before the pump stops.
            if self._closing and not self._pending:
                return
