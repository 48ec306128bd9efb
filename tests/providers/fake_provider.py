"""An OpenAI-like completion server for the fake upstream, told which fields it honours.

Served through tests/fake_upstream.py's respond_with(): each request is answered from its
body, the way a provider would, so the probe can be tested against upstreams that do and
do not honour each field (and the three ways of not honouring one: refuse, ignore, garble).
A "token" is a word with its leading space.
"""

import re
from dataclasses import dataclass

from ..fake_upstream import SSE, Reply

GENERATED = [" Paris", ".", " It", " is", " a", " city", " of", " light"]
# What a provider taking max_tokens=0 as no limit would stream (the probe hangs up first).
ENDLESS = 200


@dataclass
class Honours:
    # The most alternatives per token; None: no logprobs at all.
    max_logprobs: int | None = 100
    # Above max_logprobs: "refuse" (400, as OpenAI) or "clip" to max_logprobs.
    logprobs_above: str = "refuse"
    # "honour", "refuse", "append" (llama-cpp-python without FIM tokens) or "ignore".
    suffix: str = "honour"
    # The prompt's tokens get logprobs under echo; False: only the new ones (llama.cpp's server).
    echo_logprobs: bool = True
    streamed_echo: bool = True
    # "nothing", "no-limit" or "rejected".
    zero_max_tokens: str = "nothing"
    n: str = "honour"  # or "ignore", "refuse"
    prompt_lists: str = "honour"  # or "first" (answers the first only), "refuse"
    token_prompts: bool = True
    best_of: bool = True
    usage: bool = True


def words(text: str) -> list[str]:
    return re.findall(r"\s*\S+|\s+$", text)


def _error(status: int, message: str) -> Reply:
    return Reply({"error": {"message": message, "type": "invalid_request_error"}}, status=status)


def _alternatives(token: str, count: int) -> dict:
    top = {token: -0.5}
    for i in range(count - 1):
        top[f" alt{i}"] = -1.0 - i
    return top


def _logprobs(prompt_tokens: list[str], new: list[str], asked: int, h: Honours, echo: bool):
    count = min(asked, h.max_logprobs or 0) if h.logprobs_above == "clip" else asked
    # Without echo_logprobs, as llama.cpp's server: the echoed prompt has no logprobs.
    scored = prompt_tokens if echo and h.echo_logprobs else []
    tokens = scored + new
    values = [None] + [-1.5] * (len(scored) - 1) if scored else []
    values += [-0.5] * len(new)
    top = [None] * len(scored) + [_alternatives(token, count) for token in new]
    return {"tokens": tokens, "token_logprobs": values, "top_logprobs": top, "text_offset": []}


def openai_like(h: Honours):
    """A responder for FakeUpstream.respond_with() behaving as h says."""

    def respond(body: dict):
        prompt = body.get("prompt", "")
        prompts = [prompt]
        if isinstance(prompt, list) and all(isinstance(p, str) for p in prompt):
            if h.prompt_lists == "refuse" and len(prompt) > 1:
                return _error(500, "Only one prompt is supported.")
            prompts = prompt if h.prompt_lists == "honour" else prompt[:1]
        elif isinstance(prompt, list):
            if not h.token_prompts:
                return _error(422, "prompt: Input should be a valid string")
            prompts = ["".join(f" t{token}" for token in prompt)]
        max_tokens = body.get("max_tokens", 16)
        if max_tokens == 0 and h.zero_max_tokens == "rejected":
            return _error(400, "max_tokens must be at least 1.")
        unlimited = max_tokens == 0 and h.zero_max_tokens == "no-limit"
        asked_logprobs = body.get("logprobs")
        too_many = asked_logprobs is not None and asked_logprobs > (h.max_logprobs or 0)
        if too_many and h.max_logprobs is not None and h.logprobs_above == "refuse":
            return _error(400, f"logprobs must be at most {h.max_logprobs}.")
        suffix = body.get("suffix")
        if suffix is not None and h.suffix == "refuse":
            return _error(400, "suffix is not supported by this model.")
        n = body.get("n", 1)
        if n > 1 and h.n == "refuse":
            return _error(400, "n must be 1.")
        n = n if h.n == "honour" else 1
        stream = body.get("stream")
        echo = bool(body.get("echo")) and (h.streamed_echo or not stream)
        suffix_tokens = words(suffix) if suffix and h.suffix == "honour" else []

        new = GENERATED[: min(max_tokens, len(GENERATED))]
        if unlimited:
            new = (GENERATED * (ENDLESS // len(GENERATED) + 1))[:ENDLESS]
        samples = body.get("best_of", 1) if h.best_of else 1
        usage = {
            "prompt_tokens": sum(len(words(p)) for p in prompts) + len(suffix_tokens),
            "completion_tokens": len(new) * max(n, samples) * len(prompts),
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]

        choices = []
        for p in prompts:
            for _ in range(n):
                text = (p if echo else "") + "".join(new)
                if suffix and h.suffix == "append":
                    text += suffix
                logprobs = None
                if asked_logprobs is not None and h.max_logprobs is not None:
                    logprobs = _logprobs(words(p), new, asked_logprobs, h, echo)
                choices.append({"index": len(choices), "text": text, "logprobs": logprobs})
        if stream:
            return _streamed(choices, prompts, echo, new, h)
        for choice in choices:
            choice["finish_reason"] = "length"
        answer = {"id": "cmpl-fake", "object": "text_completion", "choices": choices}
        if h.usage:
            answer["usage"] = usage
        return Reply(answer)

    return respond


def _streamed(choices, prompts, echo, new, h: Honours) -> SSE:
    events = []
    for choice in choices:
        index = choice["index"]
        pieces = ([prompts[0]] if echo else []) + list(new)
        for piece in pieces:
            events.append({"choices": [{"index": index, "text": piece, "logprobs": None}]})
        events.append({"choices": [{"index": index, "text": "", "finish_reason": "length"}]})
    return SSE(events)


LLAMA_CPP_PYTHON = Honours(
    # As llama-cpp-python's server serves a model without fill-in-the-middle tokens.
    suffix="append",
    streamed_echo=False,
    zero_max_tokens="no-limit",
    n="ignore",
    prompt_lists="refuse",
    token_prompts=False,
    best_of=False,
)
OPENAI = Honours(max_logprobs=5, logprobs_above="refuse")
