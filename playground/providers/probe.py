"""The probe: a few tiny requests that measure what a provider honours for a model.

Providers that call themselves OpenAI-compatible accept fields they ignore (llama-cpp-python
takes n and best_of and drops them), garble others (it pastes a suffix after the output of a
model without fill-in-the-middle tokens) or refuse them (OpenAI answers 400 to logprobs
above 5). So nothing is assumed: each check sends one or two requests of at most three
tokens through the client (client.py: its address rules, timeouts and redaction) and says
what it saw. A check that cannot tell says None, and why.
"""

import asyncio
import contextlib
import time
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from django.core.cache import cache
from django.utils import timezone

from playground.json_values import is_integer, is_number

from .capabilities import record
from .client import UpstreamError, stream_completion
from .models import Provider, ProviderCapabilities

# Each check's time, and the whole probe's: it runs when a provider is added, inline where
# no task worker is configured, so it must stay short.
CHECK_SECONDS = 10
PROBE_SECONDS = 45

PROMPT = "The capital of France is"
STORY = "Once upon a time"
CODE = "def add(a, b):\n    return"
# A mark no model writes by itself: seen in the output, it was pasted there.
SUFFIX_MARK = "probe-suffix-7q3"
SUFFIX = f"\n# {SUFFIX_MARK}\n"
# Asked for in turn until one is refused or cut short; the form allows at most 5.
ASKED_LOGPROBS = (5, 20, 100)
# 429 and the gateway errors say the provider is busy now, not what it honours.
BUSY_STATUSES = {429, 502, 503, 504}


@dataclass(frozen=True)
class Result:
    value: bool | int | str | None
    evidence: str


class Malformed(Exception):
    """An answer not in the OpenAI format."""


# A model of a provider is probed on demand at most once in this many seconds: a probe is
# about a dozen requests, and a button pressed again and again must not flood the provider.
PROBE_COOLDOWN_SECONDS = 60


def claim_probe(provider: Provider, model: str) -> int:
    """0 when the model may be probed now (which claims the next PROBE_COOLDOWN_SECONDS for
    this probe), else the seconds to wait. Kept in the cache: across server processes with
    Redis; a Redis outage lets probes through, as logins are."""
    # The provider's creation too: a database made afresh (as tests do) reuses ids, while a
    # Redis cache keeps the claims of the providers that had them before.
    made = provider.created_at.timestamp() if provider.created_at else 0
    key = f"probe-claimed:{provider.pk}:{made}:{model}"
    now = time.time()
    if cache.add(key, now, PROBE_COOLDOWN_SECONDS):
        return 0
    claimed_at = cache.get(key)
    if not isinstance(claimed_at, float):
        return 0
    return max(1, round(PROBE_COOLDOWN_SECONDS - (now - claimed_at)))


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _quote(text: str, limit: int = 40) -> str:
    return f"“{_short(text, limit)}”"


def refused(exc: UpstreamError) -> bool:
    """Whether the provider answered with an error (as opposed to not answering at all)."""
    if exc.status in BUSY_STATUSES:
        return False
    return exc.status is not None or exc.reported


class Probe:
    """Sends the checks' requests for one provider and model, and keeps their results."""

    def __init__(self, provider: Provider, model: str):
        self.provider = provider
        self.model = model
        self.results: dict[str, Result] = {}

    def _body(self, fields: dict) -> dict:
        return {"model": self.model, **fields} if self.model else dict(fields)

    async def complete(self, **fields) -> dict:
        """One non-streamed completion, whole."""
        chunks = stream_completion(self.provider, self._body({**fields, "stream": False}))
        async with contextlib.aclosing(chunks):
            async for chunk in chunks:
                return chunk.data
        raise Malformed("an empty answer")

    async def stream(self, max_chunks: int, **fields) -> tuple[str, bool]:
        """The text of choice 0 in the first max_chunks chunks, and whether the stream ended.

        Hanging up after max_chunks keeps a provider that would generate on and on (to
        max_tokens=0 taken as no limit, say) from doing so for long.
        """
        chunks = stream_completion(self.provider, self._body({**fields, "stream": True}))
        texts, read = [], 0
        async with contextlib.aclosing(chunks):
            async for chunk in chunks:
                for choice in chunk.data.get("choices") or []:
                    if isinstance(choice, dict) and choice.get("index", 0) == 0:
                        text = choice.get("text")
                        texts.append(text if isinstance(text, str) else "")
                read += 1
                if read >= max_chunks:
                    return "".join(texts), False
        return "".join(texts), True


def _choices(data: dict) -> list[dict]:
    choices = data.get("choices")
    if not (isinstance(choices, list) and choices and all(isinstance(c, dict) for c in choices)):
        raise Malformed("no choices")
    return choices


def _text(choice: dict) -> str:
    text = choice.get("text")
    return text if isinstance(text, str) else ""


def _usage(data: dict, name: str) -> int | None:
    usage = data.get("usage")
    value = usage.get(name) if isinstance(usage, dict) else None
    return value if is_integer(value) else None


def _alternatives(choice: dict, asked: int) -> int:
    """How many alternatives the first new token came with (some send one more than asked)."""
    logprobs = choice.get("logprobs")
    top = logprobs.get("top_logprobs") if isinstance(logprobs, dict) else None
    if not isinstance(top, list) or not top or not isinstance(top[0], dict | list):
        return 0
    return min(len(top[0]), asked)


# --- the checks, in the order they run ---------------------------------------------------------


async def check_max_logprobs(probe: Probe) -> Result:
    honoured = None
    for asked in ASKED_LOGPROBS:
        try:
            data = await probe.complete(prompt=PROMPT, max_tokens=1, logprobs=asked)
        except UpstreamError as exc:
            if not refused(exc):
                raise
            if honoured is not None:
                return Result(
                    honoured,
                    f"logprobs={asked} was refused ({_short(exc.message)}); "
                    f"logprobs={honoured} was honoured.",
                )
            return await _fewest_logprobs(probe, exc)
        got = _alternatives(_choices(data)[0], asked)
        if got < asked:
            if got == 0 and honoured is None:
                return Result(0, f"Asked for logprobs={asked}: the answer had no alternatives.")
            got = max(got, honoured or 0)
            return Result(got, f"Asked for logprobs={asked}, got {got} alternatives per token.")
        honoured = asked
    return Result(honoured, f"Gave all {honoured} alternatives asked for, the most it was asked.")


async def _fewest_logprobs(probe: Probe, refusal: UpstreamError) -> Result:
    first = ASKED_LOGPROBS[0]
    try:
        data = await probe.complete(prompt=PROMPT, max_tokens=1, logprobs=1)
    except UpstreamError as exc:
        if not refused(exc):
            raise
        return Result(0, f"Refused logprobs=1: {_short(exc.message)}")
    got = _alternatives(_choices(data)[0], 1)
    return Result(
        got,
        f"logprobs={first} was refused ({_short(refusal.message)}); logprobs=1 gave {got}.",
    )


async def check_max_tokens_zero(probe: Probe) -> Result:
    # Streamed, so that a provider taking 0 as no limit is hung up on after a few tokens.
    try:
        text, ended = await probe.stream(24, prompt=PROMPT, max_tokens=0, echo=True)
    except UpstreamError as exc:
        if not refused(exc):
            raise
        return Result("rejected", f"Refused max_tokens=0: {_short(exc.message)}")
    new = text.removeprefix(PROMPT)
    if not new:
        return Result("nothing", "Asked for max_tokens=0: the answer had no new text.")
    how = "before it was hung up on" if not ended else "and stopped by itself"
    return Result("no-limit", f"Asked for max_tokens=0, it generated {_quote(new)} {how}.")


async def check_echo_logprobs(probe: Probe) -> Result:
    zero = probe.results.get("max_tokens_zero")
    # Prompt scoring asks for no new token, where 0 means none.
    max_tokens = 0 if zero is not None and zero.value == "nothing" else 1
    try:
        data = await probe.complete(prompt=PROMPT, max_tokens=max_tokens, echo=True, logprobs=1)
    except UpstreamError as exc:
        if not refused(exc):
            raise
        return Result(False, f"Refused echo with logprobs: {_short(exc.message)}")
    choice = _choices(data)[0]
    if not _text(choice).startswith(PROMPT):
        return Result(False, f"Asked for echo, the text was {_quote(_text(choice))}.")
    logprobs = choice.get("logprobs")
    if not isinstance(logprobs, dict):
        return Result(False, "Echoed the prompt, with no logprobs at all.")
    tokens, values = logprobs.get("tokens"), logprobs.get("token_logprobs")
    if not (isinstance(tokens, list) and isinstance(values, list)):
        return Result(False, "Echoed the prompt, with no token logprobs.")
    joined = "".join(str(token) for token in tokens)
    start = joined.find(PROMPT)
    if start < 0:
        return Result(False, f"The logprobs cover {len(tokens)} new token(s), not the prompt's.")
    in_prompt, offset = [], 0
    for token, value in zip(tokens, values, strict=False):
        if start <= offset < start + len(PROMPT):
            in_prompt.append(value)
        offset += len(str(token))
    scored = sum(is_number(value) for value in in_prompt)
    if not scored:
        return Result(False, "The prompt's tokens came without logprobs.")
    return Result(
        True,
        f"{scored} of the prompt's {len(in_prompt)} tokens came with logprobs "
        f"(max_tokens={max_tokens}).",
    )


async def check_streamed_echo(probe: Probe) -> Result:
    try:
        text, _ = await probe.stream(64, prompt=PROMPT, max_tokens=1, echo=True)
    except UpstreamError as exc:
        if not refused(exc):
            raise
        return Result(False, f"Refused echo while streaming: {_short(exc.message)}")
    if text.startswith(PROMPT):
        return Result(True, "The streamed text began with the prompt.")
    return Result(False, f"Asked for echo, the streamed text was {_quote(text)}.")


async def _choice_count(probe: Probe, asked: str, **fields) -> Result:
    """Whether one request asking for two choices (n=2, two prompts) got two."""
    try:
        data = await probe.complete(max_tokens=1, **fields)
    except UpstreamError as exc:
        if not refused(exc):
            raise
        return Result(False, f"Refused {asked}: {_short(exc.message)}")
    choices = _choices(data)
    indexes = {choice.get("index") for choice in choices}
    if len(choices) >= 2 and len(indexes) >= 2:
        return Result(True, f"Asked for {asked}, got {len(choices)} choices.")
    return Result(False, f"Asked for {asked}, got {len(choices)} choice.")


async def check_n_choices(probe: Probe) -> Result:
    return await _choice_count(probe, "n=2", prompt=PROMPT, n=2, temperature=1)


async def check_prompt_lists(probe: Probe) -> Result:
    return await _choice_count(probe, "two prompts", prompt=["Hello", "Goodbye"])


async def check_token_prompts(probe: Probe) -> Result:
    # Ids any vocabulary of more than 3,000 tokens holds.
    try:
        data = await probe.complete(prompt=[1000, 2000, 3000], max_tokens=1)
    except UpstreamError as exc:
        if not refused(exc):
            raise
        return Result(False, f"Refused the prompt [1000, 2000, 3000]: {_short(exc.message)}")
    _choices(data)
    return Result(True, "Completed the prompt [1000, 2000, 3000].")


async def check_best_of(probe: Probe) -> Result:
    # OpenAI counts (and bills) every candidate best_of generates, so more completion tokens
    # than one completion can hold show that it sampled several.
    try:
        data = await probe.complete(prompt=STORY, max_tokens=2, best_of=3, n=1, temperature=1)
    except UpstreamError as exc:
        if not refused(exc):
            raise
        return Result(False, f"Refused best_of=3: {_short(exc.message)}")
    _choices(data)
    counted = _usage(data, "completion_tokens")
    if counted is None:
        return Result(None, "Took best_of=3, but sent no token counts to tell if it sampled 3.")
    asked = "Asked for best_of=3 with max_tokens=2"
    if counted > 2:
        return Result(True, f"{asked}: it counted {counted} completion tokens.")
    return Result(False, f"{asked}: it counted {counted} completion tokens, one completion's.")


async def check_suffix(probe: Probe) -> Result:
    plain = await probe.complete(prompt=CODE, max_tokens=3, temperature=0)
    try:
        data = await probe.complete(prompt=CODE, suffix=SUFFIX, max_tokens=3, temperature=0)
    except UpstreamError as exc:
        if not refused(exc):
            raise
        return Result(False, f"Refused a suffix: {_short(exc.message)}")
    text = _text(_choices(data)[0])
    if SUFFIX_MARK in text:
        # llama-cpp-python does this for a model without fill-in-the-middle tokens.
        return Result(False, "It pasted the suffix after its text instead of writing before it.")
    without, with_suffix = _usage(plain, "prompt_tokens"), _usage(data, "prompt_tokens")
    if without is None or with_suffix is None:
        return Result(None, "Took a suffix, but sent no token counts to tell if the model saw it.")
    if with_suffix > without:
        counts = f"the prompt counted {without} tokens alone, {with_suffix} with it"
        return Result(True, f"The model saw it: {counts}.")
    return Result(False, f"Ignored: the prompt counted {without} tokens with and without it.")


CHECKS = {
    "max_logprobs": check_max_logprobs,
    "max_tokens_zero": check_max_tokens_zero,
    "echo_logprobs": check_echo_logprobs,
    "streamed_echo": check_streamed_echo,
    "n_choices": check_n_choices,
    "prompt_lists": check_prompt_lists,
    "token_prompts": check_token_prompts,
    "best_of": check_best_of,
    "suffix": check_suffix,
}


async def _reachable(probe: Probe) -> Result:
    try:
        async with asyncio.timeout(CHECK_SECONDS):
            _choices(await probe.complete(prompt="Hello", max_tokens=1))
    except TimeoutError:
        return Result(False, f"Could not reach it: no answer within {CHECK_SECONDS} s.")
    except UpstreamError as exc:
        if exc.status in BUSY_STATUSES:
            return Result(None, f"It is busy: {_short(exc.message)}")
        if refused(exc):
            return Result(False, f"It refused a one-token completion: {_short(exc.message)}")
        return Result(False, f"Could not reach it: {_short(exc.message)}")
    except Malformed as exc:
        return Result(False, f"Its answer is not an OpenAI completion ({exc}).")
    return Result(True, "Answered a one-token completion.")


async def _measured(check, probe: Probe) -> Result:
    """The check's result; whatever goes wrong in it stays in it."""
    try:
        async with asyncio.timeout(CHECK_SECONDS):
            return await check(probe)
    except TimeoutError:
        return Result(None, f"No answer within {CHECK_SECONDS} s.")
    except UpstreamError as exc:
        return Result(None, f"The request failed: {_short(exc.message)}")
    except (Malformed, AttributeError, KeyError, TypeError, ValueError) as exc:
        detail = f" ({exc})" if isinstance(exc, Malformed) else ""
        return Result(None, f"The answer was not in the OpenAI format{detail}.")


async def run_probe(provider: Provider, model: str) -> dict[str, Result]:
    """Every check's result; only "reachable" when the provider could not be reached."""
    probe = Probe(provider, model)
    reachable = await _reachable(probe)
    probe.results["reachable"] = reachable
    if reachable.value is not True:
        return probe.results
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PROBE_SECONDS
    for name, check in CHECKS.items():
        if loop.time() > deadline:
            probe.results[name] = Result(None, f"Not measured: the probe took {PROBE_SECONDS} s.")
        else:
            probe.results[name] = await _measured(check, probe)
    return probe.results


def probe_and_record(provider: Provider, model: str = "") -> ProviderCapabilities:
    """Probes the model ("" for the provider's default) and keeps the results."""
    model = model or provider.default_model
    results = async_to_sync(run_probe)(provider, model)
    stored = {name: {"value": r.value, "evidence": r.evidence} for name, r in results.items()}
    return record(provider, model, stored, timezone.now())
