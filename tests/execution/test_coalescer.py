"""The frame coalescer sends every piece of text and every token it is given, even when a send
is slow, and a tick's tokens with their text."""

import asyncio

from playground.execution.accumulator import NewOutput
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
    coalescer.add(NewOutput({0: "a"}))
    await asyncio.wait_for(first_send_started.wait(), 1)
    # The stream ends while "a" is still being sent (a live demo's relay, say).
    coalescer.add(NewOutput({0: "b"}))
    closing = asyncio.create_task(coalescer.close())
    await asyncio.sleep(0)
    release_first_send.set()
    await asyncio.wait_for(closing, 1)

    assert "".join(frame.texts[0] for frame in frames) == "ab"


async def test_tokens_close_together_share_a_frame():
    frames = []

    async def send(frame):
        frames.append(frame)

    coalescer = FrameCoalescer(send)
    coalescer.add(NewOutput({0: "a"}))
    await asyncio.sleep(0.001)
    for letter in "bcd":
        coalescer.add(NewOutput({0: letter, 1: letter.upper()}))
    await coalescer.close()

    assert frames == [NewOutput({0: "a"}), NewOutput({0: "bcd", 1: "BCD"})]


async def test_a_ticks_tokens_go_with_its_text():
    frames = []

    async def send(frame):
        frames.append(frame)

    coalescer = FrameCoalescer(send)
    coalescer.add(NewOutput({0: "a"}, {0: [["a", -0.5, None]]}))
    await asyncio.sleep(0.001)
    coalescer.add(NewOutput({0: "b", 1: "B"}, {0: [["b", -1.0, None]], 1: [["B", None, None]]}))
    coalescer.add(NewOutput({0: "cd"}, {0: [["c", -2.0, {"c": -2.0}], ["d", -3.0, None]]}))
    await coalescer.close()

    assert frames == [
        NewOutput({0: "a"}, {0: [["a", -0.5, None]]}),
        NewOutput(
            {0: "bcd", 1: "B"},
            {
                0: [["b", -1.0, None], ["c", -2.0, {"c": -2.0}], ["d", -3.0, None]],
                1: [["B", None, None]],
            },
        ),
    ]
