"""Helpers for the socket tests: building run messages and reading frames."""

import asyncio
import json

from django.utils.datastructures import MultiValueDict

from playground.completions import parameters
from playground.completions.parameters import Widget
from playground.runs.models import Run

from ..factories import API_KEY

KEY = API_KEY


def run_message(provider, **fields):
    message = {"action": "run", "provider": provider.pk, "model": "fake-model", "stream": "on"}
    message.update(fields)
    return message


def blank_post() -> dict:
    """What the page's form posts for a new session's parameters, for every registered one:
    blank, but for a box checked from the start (stream). The editor's model and prompt
    are left to the caller."""
    post = {}
    for parameter in parameters.registered():
        if parameter.name in ("model", "prompt"):
            continue
        typed = "on" if parameter.initial else parameter.typed_value(MultiValueDict())
        for name, values in parameter.form_data(typed).items():
            post[name] = values if parameter.widget in LIST_WIDGETS else values[0]
    return post


LIST_WIDGETS = (Widget.STOP_SEQUENCES, Widget.LOGIT_BIAS)


def page_message(provider, **fields):
    """A run message as the page's form sends it: every field, blanks included."""
    message = {
        "action": "run",
        "provider": str(provider.pk),
        "model": "fake-model",
        "prompt": "Once upon a time",
        **blank_post(),
        "HEADERS": {"HX-Request": "true", "HX-Trigger": "completion-form"},
    }
    message.update(fields)
    return message


async def collect_until_finished(socket, timeout=5):
    frames = []
    while True:
        frame = await socket.receive_json_from(timeout=timeout)
        frames.append(frame)
        if frame["type"] in ("run.finished", "form.invalid"):
            return frames


async def run_and_collect(socket, message, timeout=5):
    await socket.send_json_to(message)
    return await collect_until_finished(socket, timeout=timeout)


async def receive_until(socket, frame_type, timeout=5):
    frames = []
    while True:
        frame = await socket.receive_json_from(timeout=timeout)
        frames.append(frame)
        if frame["type"] == frame_type:
            return frames


def streamed_texts(frames) -> dict[str, str]:
    """The text each choice received through delta frames, by choice index."""
    texts: dict[str, str] = {}
    for frame in frames:
        if frame["type"] == "delta":
            for index, text in frame["choices"].items():
                texts[index] = texts.get(index, "") + text
    return texts


def frames_text(frames) -> str:
    return json.dumps(frames)


async def wait_for(event, timeout=2.0) -> bool:
    """Waits for a threading.Event of the fake upstream without blocking the event loop."""
    return await asyncio.to_thread(event.wait, timeout)


async def wait_for_run(run_id, condition, timeout=5.0) -> Run:
    """Polls the stored run until condition(run) holds, and returns it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        run = await Run.objects.aget(pk=run_id)
        if condition(run) or loop.time() > deadline:
            return run
        await asyncio.sleep(0.02)


async def frames_until_closed(socket, timeout=5):
    """What the server sends until it closes the socket, and the close code."""
    frames = []
    while True:
        message = await socket.receive_output(timeout)
        if message["type"] == "websocket.close":
            return frames, message.get("code")
        frames.append(json.loads(message["text"]))


def explore_message(provider, request="e1", prompt="Once upon a", logprobs=5, **fields):
    """An explore message as the page sends it: the form's fields, the text before the cursor."""
    return {
        **page_message(provider, prompt=prompt, **fields),
        "action": "explore",
        "request": request,
        "logprobs": logprobs,
    }


def score_message(provider, request="s1", prompt="Once upon a time", **fields):
    return {
        **page_message(provider, prompt=prompt, **fields),
        "action": "score",
        "request": request,
    }


async def receive_answer(socket, request, timeout=5):
    """The frames until the answer (result or error) to an explore or score request."""
    frames = []
    while True:
        frame = await socket.receive_json_from(timeout=timeout)
        frames.append(frame)
        if frame.get("request") == request and frame["type"].split(".")[0] in ("explore", "score"):
            return frame, frames
