"""Figure 9: the embedded local model's speed with and without logprobs (issue 13).

Straight to the model server (LocalModelServer, as `manage.py serve` starts it), streamed:
the same prompt at temperature 0, with the end-of-text tokens banned so that every stream
is exactly as long. Tokens per second counts from the first token to the last (the prompt
is short and its time is not what logprobs change). Requests with and without logprobs
alternate, so that whatever else the machine does weighs on both alike.
"""

import asyncio
import json
import socket
import tempfile
import time
from pathlib import Path

import httpx

from playground.localmodel.server import MODEL_ALIAS, LocalModelServer, model_path

PROMPT = "Write a short story about a lighthouse keeper who finds a message in a bottle."
TOP_LOGPROBS = 10
# The speed with logprobs, as a share of the speed without (issue 13's aim).
MIN_RATIO = 0.8
# Streams per repetition and kind, after one warm-up of each.
STREAMS = 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _end_tokens(client: httpx.Client, root: str) -> dict[str, int]:
    """logit_bias that bans the end-of-text tokens: every stream runs to max_tokens."""
    banned = {}
    for name in ("<eos>", "<end_of_turn>"):
        reply = client.post(f"{root}/extras/tokenize", json={"input": name, "add_bos": False})
        tokens = reply.json()["tokens"]
        if len(tokens) == 1:
            banned[str(tokens[0])] = -100
    return banned


def _stream(client: httpx.Client, base_url: str, tokens: int, logprobs, bias) -> dict:
    body = {
        "model": MODEL_ALIAS,
        "prompt": PROMPT,
        "max_tokens": tokens,
        "temperature": 0,
        "stream": True,
        "logit_bias": bias,
    }
    if logprobs is not None:
        body["logprobs"] = logprobs
    arrivals, alternatives = [], []
    started = time.perf_counter()
    with client.stream("POST", f"{base_url}/completions", json=body) as reply:
        reply.raise_for_status()
        for line in reply.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            for choice in chunk["choices"]:
                logprobs_part = choice.get("logprobs")
                if logprobs_part:
                    arrivals += [time.perf_counter()] * len(logprobs_part["tokens"])
                    alternatives += [len(top or {}) for top in logprobs_part["top_logprobs"]]
                elif choice.get("text") is not None and choice.get("finish_reason") is None:
                    arrivals.append(time.perf_counter())
    generated = len(arrivals)
    span = arrivals[-1] - arrivals[0] if generated > 1 else float("nan")
    return {
        "tokens": generated,
        "tokens_per_second": (generated - 1) / span if span else float("nan"),
        "end_to_end_tokens_per_second": generated / (arrivals[-1] - started)
        if arrivals
        else float("nan"),
        "fewest_alternatives": min(alternatives) if alternatives else None,
    }


def _measure(figure, repetitions: int, tokens: int) -> None:
    plain = figure.metric("local model tokens/s, no logprobs", "tok/s")
    scored = figure.metric(f"local model tokens/s, logprobs={TOP_LOGPROBS}", "tok/s")
    ratio = figure.metric("with logprobs / without", "x", (">=", MIN_RATIO))
    fewest = figure.metric("alternatives per token (fewest)", "tokens", (">=", TOP_LOGPROBS))
    least: list[int] = []
    with tempfile.TemporaryDirectory(prefix="bench-localmodel-") as workdir:
        server = LocalModelServer(model_path(), _free_port(), Path(workdir) / "server.log")
        server.start()
        try:
            server.wait_until_ready(timeout=180)
            with httpx.Client(timeout=300) as client:
                bias = _end_tokens(client, server.base_url.removesuffix("/v1"))
                for logprobs in (None, TOP_LOGPROBS):  # warm-up
                    _stream(client, server.base_url, 8, logprobs, bias)
                for _ in range(repetitions):
                    runs: dict = {"plain": [], "scored": []}
                    for _ in range(STREAMS):
                        runs["plain"].append(_stream(client, server.base_url, tokens, None, bias))
                        runs["scored"].append(
                            _stream(client, server.base_url, tokens, TOP_LOGPROBS, bias)
                        )
                    plain_rate = _median([r["tokens_per_second"] for r in runs["plain"]])
                    scored_rate = _median([r["tokens_per_second"] for r in runs["scored"]])
                    plain.values.append(plain_rate)
                    scored.values.append(scored_rate)
                    ratio.values.append(scored_rate / plain_rate)
                    least.append(min(r["fewest_alternatives"] or 0 for r in runs["scored"]))
                    figure.details.append({"tokens": tokens, **runs})
        finally:
            server.stop()
    # Judged on the fewest of all: at least TOP_LOGPROBS for every token of every stream.
    if least:
        fewest.values.append(min(least))


async def local_model_speed(bench, figure) -> None:
    await asyncio.to_thread(_measure, figure, bench.sizes.repetitions, bench.sizes.local_tokens)


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
