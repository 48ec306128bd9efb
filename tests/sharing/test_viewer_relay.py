"""The relay to live viewers keeps a run's frames in order, its text before its tokens, and
batches a run's delta and tokens frames that come close together."""

import asyncio

from channels.layers import InMemoryChannelLayer, get_channel_layer

from playground.sharing.live import ViewerRelay, viewers_group

SESSION = 41


async def viewer_channel() -> str:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(viewers_group(SESSION), channel)
    return channel


async def received(channel: str, count: int) -> list[dict]:
    layer = get_channel_layer()
    return [(await asyncio.wait_for(layer.receive(channel), 5))["frame"] for _ in range(count)]


def delta(run, texts: dict) -> dict:
    return {"type": "delta", "run": run, "choices": texts}


def tokens(run, entries: dict) -> dict:
    return {"type": "tokens", "run": run, "choices": entries}


async def test_a_runs_text_and_tokens_go_batched_text_first():
    channel = await viewer_channel()
    relay = ViewerRelay(SESSION)
    finished = {"type": "run.finished", "run": 1, "status": "completed"}

    for frame in (
        delta(1, {"0": "Hi"}),
        tokens(1, {"0": [["Hi", -0.5, None]]}),
        delta(1, {"0": " there", "1": "Yo"}),
        tokens(1, {"0": [[" there", -1.0, {" there": -1.0}]], "1": [["Yo", None, None]]}),
        finished,
    ):
        await relay.send(frame)

    assert await received(channel, 3) == [
        {"type": "delta", "run": 1, "choices": {"0": "Hi there", "1": "Yo"}},
        {
            "type": "tokens",
            "run": 1,
            "choices": {
                "0": [["Hi", -0.5, None], [" there", -1.0, {" there": -1.0}]],
                "1": [["Yo", None, None]],
            },
        },
        finished,
    ]


async def test_another_runs_frames_first_send_the_waiting_ones_then_wait_their_turn():
    channel = await viewer_channel()
    relay = ViewerRelay(SESSION)

    for run, text in ((1, "a"), (1, "b"), (2, "c"), (2, "d")):
        await relay.send(delta(run, {"0": text}))
        await relay.send(tokens(run, {"0": [[text, -0.5, None]]}))
    # Nothing else comes: the second run's batch goes after RELAY_INTERVAL.
    frames = await received(channel, 4)

    assert frames == [
        delta(1, {"0": "ab"}),
        tokens(1, {"0": [["a", -0.5, None], ["b", -0.5, None]]}),
        delta(2, {"0": "cd"}),
        tokens(2, {"0": [["c", -0.5, None], ["d", -0.5, None]]}),
    ]


class YieldingLayer(InMemoryChannelLayer):
    """The in-memory layer, but group_send gives way to other tasks first, as a send to
    Redis does while it waits for the network."""

    async def group_send(self, group, message):
        await asyncio.sleep(0)
        await super().group_send(group, message)


async def test_two_runs_streaming_at_once_keep_their_own_text(settings):
    # A comparison's columns, presented live: their frames interleave, and a send to the
    # viewers waits on the network while the other column's frames come in.
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": f"{__name__}.YieldingLayer", "CONFIG": {"capacity": 1000}}
    }
    channel = await viewer_channel()
    relay = ViewerRelay(SESSION)

    async def column(run: int, words: list[str]) -> None:
        for word in words:
            await relay.send(delta(run, {"0": word}))
            await asyncio.sleep(0)

    await asyncio.gather(column(1, [" soft", " rain", "."]), column(2, [" soft", " hail", "!"]))
    await relay.send({"type": "compare.finished", "comparison": 9})
    frames = []
    while not frames or frames[-1]["type"] != "compare.finished":
        frames += await received(channel, 1)

    texts: dict[int, str] = {}
    for frame in frames[:-1]:
        texts[frame["run"]] = texts.get(frame["run"], "") + frame["choices"]["0"]
    assert texts == {1: " soft rain.", 2: " soft hail!"}
