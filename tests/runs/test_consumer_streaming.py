import pytest

from playground.runs.models import Run, RunStatus

from ..fake_upstream import SSE, completion_chunk, token_stream

pytestmark = pytest.mark.django_db(transaction=True)


async def collect_until_finished(socket, timeout=5):
    frames = []
    while True:
        frame = await socket.receive_json_from(timeout=timeout)
        frames.append(frame)
        if frame["type"] in ("run.finished", "form.invalid"):
            return frames


def run_message(provider, **fields):
    message = {"action": "run", "provider": provider.pk, "model": "fake-model", "stream": "on"}
    message.update(fields)
    return message


async def test_it_streams_tokens_in_order(alice, alice_provider, upstream, connect):
    upstream.script(SSE(token_stream(["One", " two", " three"]), delay=0.03))
    socket = await connect(alice)
    await socket.send_json_to(run_message(alice_provider, prompt="Count:"))

    frames = await collect_until_finished(socket)

    assert frames[0]["type"] == "run.started"
    text = "".join(f["choices"]["0"] for f in frames if f["type"] == "delta")
    assert text == "One two three"
    assert len([f for f in frames if f["type"] == "delta"]) >= 2
    finished = frames[-1]
    assert finished["status"] == "completed"
    run = await Run.objects.aget(pk=finished["run"])
    assert run.choices[0]["text"] == "One two three"
    assert run.choices[0]["finish_reason"] == "length"
    assert run.status == RunStatus.COMPLETED


async def test_each_choice_streams_into_its_own_pane(alice, alice_provider, upstream, connect):
    events = []
    for token in ["a", "b", "c"]:
        events += [completion_chunk(token, index=0), completion_chunk(token.upper(), index=1)]
    upstream.script(SSE(events))
    socket = await connect(alice)
    await socket.send_json_to(run_message(alice_provider, prompt="x", n="2"))

    frames = await collect_until_finished(socket)

    texts = {"0": "", "1": ""}
    for frame in frames:
        if frame["type"] == "delta":
            for index, text in frame["choices"].items():
                texts[index] += text
    assert texts == {"0": "abc", "1": "ABC"}
    assert upstream.last_body["n"] == 2
