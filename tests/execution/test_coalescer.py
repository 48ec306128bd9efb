"""The frame coalescer sends every piece of text it is given, even when a send is slow."""

import asyncio

from playground.execution.coalescer import FrameCoalescer


async def test_text_added_during_a_slow_send_goes_out_before_close_returns():
    frames = []
    first_send_started = asyncio.Event()
    release_first_send = asyncio.Event()

    async def slow_send(frame):
        frames.append(frame)
        if len(frames) == 1:
            first_send_started.set()
            await release_first_send.wait()

    coalescer = FrameCoalescer(slow_send)
    coalescer.add({0: "a"})
    await asyncio.wait_for(first_send_started.wait(), 1)
    # The stream ends while "a" is still being sent (a live demo's relay, say).
    coalescer.add({0: "b"})
    closing = asyncio.create_task(coalescer.close())
    await asyncio.sleep(0)
    release_first_send.set()
    await asyncio.wait_for(closing, 1)

    assert "".join(frame[0] for frame in frames) == "ab"


async def test_tokens_close_together_share_a_frame():
    frames = []

    async def send(frame):
        frames.append(frame)

    coalescer = FrameCoalescer(send)
    coalescer.add({0: "a"})
    await asyncio.sleep(0.001)
    for text in "bcd":
        coalescer.add({0: text, 1: text.upper()})
    await coalescer.close()

    assert frames == [{0: "a"}, {0: "bcd", 1: "BCD"}]
