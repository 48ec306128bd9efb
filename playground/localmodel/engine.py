"""The model itself: llama.cpp through llama-cpp-python's low-level API, one token at a time.

Why not llama-cpp-python's own completion code: with logprobs it keeps the logits of every
position (--logits_all) and ranks the whole vocabulary (262k tokens for Gemma 3) in Python
for every token, which made the model about 13 times slower. Here the logits of the last
position are read in place after each step and only the top k are picked (numpy
argpartition) with one log-softmax, so asking for logprobs costs little.

Only one thread may use an Engine at a time (the HTTP layer runs it on a single worker).
"""

import ctypes
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import llama_cpp
import numpy as np

from .text import StopScanner, Token, Utf8Text

# The largest logprobs (alternatives per token) a request may ask for, as OpenAI's.
MAX_LOGPROBS = 20
# Prompt positions decoded per batch when their logits are needed (echo with logprobs):
# each position's logits are a row of n_vocab floats (1 MB for Gemma 3).
SCORING_BATCH = 32
# How far below the best logit _top looks for the k best first, widening in turn.
NEAR_MARGINS = (8.0, 16.0, 32.0)
# Prompt tokens decoded per batch otherwise.
PROMPT_BATCH = 512


class EngineError(Exception):
    """A request the model cannot serve (the HTTP layer answers 400)."""


@dataclass
class Sampling:
    temperature: float = 1.0
    top_p: float = 1.0
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    # token id -> bias added to its logit; -100 or below bans the token.
    logit_bias: dict[int, float] = field(default_factory=dict)
    seed: int | None = None
    # llama.cpp extensions, off by default (OpenAI has none of them).
    top_k: int = 0
    min_p: float = 0.0
    repeat_penalty: float = 1.0


@dataclass
class Choice:
    """One generated choice. tokens are in the order they were sent."""

    index: int
    tokens: list[Token] = field(default_factory=list)
    finish_reason: str | None = None
    # Generated tokens (the end-of-text token is not one), whether or not their text was kept.
    generated: int = 0
    # Sum of the sampled tokens' logprobs, for best_of.
    logprob_sum: float = 0.0

    @property
    def text(self) -> str:
        return "".join(token.text for token in self.tokens)


@dataclass
class Prompt:
    tokens: list[int]
    # The prompt's own tokens with their text (and logprobs when scored), for echo.
    echo: list[Token] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(token.text for token in self.echo)


class Cancelled(Exception):
    pass


def _amx() -> bool:
    """Whether the CPU says it has AMX. llama.cpp then runs most matrix products on AMX
    tiles, and in some virtual machines (Firecracker) the first tile instruction kills the
    process (SIGILL), whatever the CPU flags say. Without its extra buffers it does not
    use them; the cost is a little speed on the machines where AMX works."""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " amx_tile" in cpuinfo


class Engine:
    def __init__(
        self,
        model_path: str,
        n_ctx: int = 2048,
        n_threads: int | None = None,
        extra_buffers: bool | None = None,
    ):
        """n_threads: half the cores by default (as llama-cpp-python's), which leaves the
        other half to the playground. extra_buffers: llama.cpp's repacked weights (and AMX
        where the CPU has it); by default, off on a CPU with AMX (see _amx)."""
        if extra_buffers is None:
            extra_buffers = not _amx()
        llama_cpp.llama_backend_init()
        model_params = llama_cpp.llama_model_default_params()
        model_params.use_extra_bufts = extra_buffers
        self.model = llama_cpp.llama_model_load_from_file(model_path.encode(), model_params)
        if not self.model:
            raise EngineError(f"Could not load the model {model_path}")
        threads = n_threads or max(1, (os.cpu_count() or 1) // 2)
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = n_ctx
        params.n_batch = params.n_ubatch = PROMPT_BATCH
        # Logits are kept for the last position only, but for SCORING_BATCH when scoring.
        params.n_outputs_max = SCORING_BATCH
        params.n_threads = params.n_threads_batch = threads
        self.ctx = llama_cpp.llama_init_from_model(self.model, params)
        if not self.ctx:
            llama_cpp.llama_model_free(self.model)
            raise EngineError("Could not make a llama.cpp context for the model")
        self.vocab = llama_cpp.llama_model_get_vocab(self.model)
        self.n_ctx = llama_cpp.llama_n_ctx(self.ctx)
        self.n_vocab = llama_cpp.llama_vocab_n_tokens(self.vocab)
        self.n_batch = PROMPT_BATCH
        self.bos = llama_cpp.llama_vocab_bos(self.vocab)
        self._batch = llama_cpp.llama_batch_init(self.n_batch, 0, 1)
        self._memory = llama_cpp.llama_get_memory(self.ctx)
        # The tokens whose keys and values are in the context now (sequence 0).
        self._cached: list[int] = []
        self._pieces: dict[int, bytes] = {}
        self._piece_buffer = ctypes.create_string_buffer(256)
        self._scratch = np.empty(self.n_vocab, dtype=np.float32)

    def close(self) -> None:
        llama_cpp.llama_batch_free(self._batch)
        llama_cpp.llama_free(self.ctx)
        llama_cpp.llama_model_free(self.model)

    # --- tokens ------------------------------------------------------------------------

    def tokenize(self, text: str, add_bos: bool = True) -> list[int]:
        """Special tokens written out (<start_of_turn>) are read as themselves."""
        data = text.encode()
        room = len(data) + 2
        tokens = (llama_cpp.llama_token * room)()
        count = llama_cpp.llama_tokenize(self.vocab, data, len(data), tokens, room, add_bos, True)
        if count < 0:
            room = -count
            tokens = (llama_cpp.llama_token * room)()
            count = llama_cpp.llama_tokenize(
                self.vocab, data, len(data), tokens, room, add_bos, True
            )
        return list(tokens[:count])

    def piece(self, token: int) -> bytes:
        """A token's bytes; the beginning-of-text token has none (it is not in the text)."""
        piece = self._pieces.get(token)
        if piece is None:
            if token == self.bos:
                piece = b""
            else:
                buffer = self._piece_buffer
                length = llama_cpp.llama_token_to_piece(
                    self.vocab, token, buffer, len(buffer), 0, True
                )
                if length < 0:
                    buffer = ctypes.create_string_buffer(-length)
                    length = llama_cpp.llama_token_to_piece(
                        self.vocab, token, buffer, len(buffer), 0, True
                    )
                piece = buffer.raw[:length]
            self._pieces[token] = piece
        return piece

    def label(self, token: int) -> str:
        """A token's text on its own, as a key of top_logprobs. A token that is part of a
        UTF-8 character shows its bytes (\\xe2\\x80), so that alternatives stay apart."""
        return self.piece(token).decode("utf-8", errors="backslashreplace")

    def detokenize(self, tokens: list[int]) -> str:
        text = Utf8Text()
        return "".join(text.add(self.piece(t)) for t in tokens) + text.flush()

    def is_end(self, token: int) -> bool:
        return bool(llama_cpp.llama_vocab_is_eog(self.vocab, token))

    def check_tokens(self, tokens: list[int]) -> None:
        if not tokens:
            raise EngineError("The prompt is empty: give at least one token.")
        bad = [t for t in tokens if not 0 <= t < self.n_vocab]
        if bad:
            raise EngineError(
                f"Token {bad[0]} is not in the model's vocabulary (0 to {self.n_vocab - 1})."
            )
        if len(tokens) >= self.n_ctx:
            raise EngineError(
                f"This model's context is {self.n_ctx} tokens, and the prompt has "
                f"{len(tokens)}: shorten the prompt."
            )

    def fill_in_the_middle(self, prefix: str, suffix: str) -> list[int]:
        tokens = [
            llama_cpp.llama_vocab_fim_pre(self.vocab),
            llama_cpp.llama_vocab_fim_suf(self.vocab),
            llama_cpp.llama_vocab_fim_mid(self.vocab),
        ]
        if any(t < 0 for t in tokens):
            raise EngineError(
                "suffix is not supported: this model has no fill-in-the-middle tokens."
            )
        pre, suf, mid = tokens
        before, after = self.tokenize(prefix, add_bos=False), self.tokenize(suffix, add_bos=False)
        return [self.bos, pre, *before, suf, *after, mid]

    # --- decoding ----------------------------------------------------------------------

    def _decode(self, tokens: list[int], logits: str = "last") -> None:
        """Appends tokens to the context, keeping the logits of the last one, of "all" or of
        "none"."""
        batch = self._batch
        start = len(self._cached)
        last = len(tokens) - 1 if logits == "last" else -1
        for i, token in enumerate(tokens):
            batch.token[i] = token
            batch.pos[i] = start + i
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = 0
            batch.logits[i] = logits == "all" or i == last
        batch.n_tokens = len(tokens)
        status = llama_cpp.llama_decode(self.ctx, batch)
        if status != 0:
            self._forget(start)
            raise RuntimeError(f"llama_decode failed with status {status}")
        self._cached.extend(tokens)

    def _forget(self, keep: int) -> None:
        """Drops the context after its first keep tokens."""
        llama_cpp.llama_memory_seq_rm(self._memory, 0, keep, -1)
        del self._cached[keep:]

    def _logits(self, index: int = -1) -> np.ndarray:
        pointer = llama_cpp.llama_get_logits_ith(self.ctx, index)
        return np.ctypeslib.as_array(pointer, shape=(self.n_vocab,))

    def _prefill(self, tokens: list[int]) -> None:
        """Puts tokens in the context, keeping the longest prefix already there. The last
        token is decoded on its own, whatever was cached: its logits, which choose the first
        token, then come out the same for the same prompt (a batch's size can change the
        last bits of a matrix product)."""
        same = 0
        for cached, token in zip(self._cached, tokens, strict=False):
            if cached != token:
                break
            same += 1
        self._forget(min(same, len(tokens) - 1))
        rest = tokens[len(self._cached) : -1]
        for start in range(0, len(rest), self.n_batch):
            self._decode(rest[start : start + self.n_batch], logits="none")
        self._decode(tokens[-1:])

    def _top(self, logits: np.ndarray, k: int) -> tuple[float, np.ndarray]:
        """log(sum(exp(logits))) and the k best tokens, best first.

        About half a millisecond for Gemma's 262k tokens: the exponentials go to a buffer
        made once, and the k best are looked for among the tokens near the best one (a few
        hundred, most often) before the whole vocabulary."""
        peak = float(logits.max())
        np.subtract(logits, peak, out=self._scratch)
        np.exp(self._scratch, out=self._scratch)
        total = peak + math.log(float(self._scratch.sum()))
        if k <= 0:
            return total, np.empty(0, dtype=np.intp)
        near = np.empty(0, dtype=np.intp)
        for margin in NEAR_MARGINS:
            near = np.flatnonzero(logits >= peak - margin)
            if len(near) >= k:
                break
        else:
            near = np.arange(len(logits))
        best = near[np.argpartition(logits[near], -k)[-k:]] if len(near) > k else near
        return total, best[np.argsort(-logits[best], kind="stable")]

    def _alternatives(self, logits, total: float, best, chosen: int) -> dict[str, float]:
        top = {self.label(int(t)): float(logits[t]) - total for t in best}
        # As OpenAI's: the chosen token is always there, so there may be k + 1.
        top.setdefault(self.label(chosen), float(logits[chosen]) - total)
        return top

    def prompt(self, tokens: list[int], logprobs: int | None) -> Prompt:
        """The prompt's tokens with their text; with logprobs, scored: each token's logprob
        given the ones before it (the first has none)."""
        self.check_tokens(tokens)
        text = Utf8Text()
        echo: list[Token] = []
        offset = 0
        for token in tokens:
            piece_text = text.add(self.piece(token))
            echo.append(Token(piece_text, offset))
            offset += len(piece_text)
        tail = text.flush()
        if tail:
            echo[-1].text += tail
        if logprobs is not None:
            self._score(tokens, echo, logprobs)
        return Prompt(tokens, echo)

    def _score(self, tokens: list[int], echo: list[Token], k: int) -> None:
        self._forget(0)
        for start in range(0, len(tokens), SCORING_BATCH):
            chunk = tokens[start : start + SCORING_BATCH]
            self._decode(chunk, logits="all")
            for row in range(len(chunk)):
                position = start + row + 1  # the token these logits predict
                if position >= len(tokens):
                    break
                logits = self._logits(row)
                total, best = self._top(logits, k)
                chosen = tokens[position]
                echo[position].logprob = float(logits[chosen]) - total
                echo[position].top = self._alternatives(logits, total, best, chosen)
        echo[0].top = None

    # --- generation --------------------------------------------------------------------

    def _sampler(self, sampling: Sampling, seed: int):
        chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())

        def add(sampler) -> None:
            llama_cpp.llama_sampler_chain_add(chain, sampler)

        if sampling.logit_bias:
            biases = (llama_cpp.llama_logit_bias * len(sampling.logit_bias))(
                *(
                    llama_cpp.llama_logit_bias(token, -math.inf if bias <= -100 else bias)
                    for token, bias in sampling.logit_bias.items()
                )
            )
            add(llama_cpp.llama_sampler_init_logit_bias(self.n_vocab, len(biases), biases))
        if (
            sampling.presence_penalty
            or sampling.frequency_penalty
            or (sampling.repeat_penalty != 1.0)
        ):
            add(
                llama_cpp.llama_sampler_init_penalties(
                    self.n_vocab,
                    self.n_ctx,
                    sampling.repeat_penalty,
                    sampling.frequency_penalty,
                    sampling.presence_penalty,
                )
            )
        if sampling.temperature <= 0:
            add(llama_cpp.llama_sampler_init_greedy())
            return chain
        if sampling.top_k > 0:
            add(llama_cpp.llama_sampler_init_top_k(sampling.top_k))
        # As OpenAI's: the temperature first, then top_p on the tempered distribution.
        add(llama_cpp.llama_sampler_init_temp(sampling.temperature))
        if sampling.top_p < 1.0:
            add(llama_cpp.llama_sampler_init_top_p(sampling.top_p, 1))
        if sampling.min_p > 0.0:
            add(llama_cpp.llama_sampler_init_min_p(sampling.min_p, 1))
        add(llama_cpp.llama_sampler_init_dist(seed))
        return chain

    def generate(
        self,
        prompt: Prompt,
        choice: Choice,
        *,
        max_tokens: int,
        sampling: Sampling,
        seed: int,
        logprobs: int | None,
        stops: list[str],
        base_offset: int,
        cancelled: Callable[[], bool],
        need_logprob_sum: bool = False,
    ) -> Iterator[tuple[list[Token], Choice]]:
        """Generates one choice. Yields (tokens now safe to send, the choice so far)
        whenever tokens are released; the last yield has the choice's finish_reason.
        choice is filled in as it goes (its generated count even if cancelled)."""
        scanner = StopScanner(stops, base_offset)
        text = Utf8Text()
        if max_tokens <= 0:
            choice.finish_reason = "length"
            yield [], choice
            return
        self._prefill(prompt.tokens)
        chain = self._sampler(sampling, seed)
        scoring = logprobs is not None or need_logprob_sum
        try:
            while True:
                if cancelled():
                    raise Cancelled
                logits = self._logits()
                if scoring:
                    total, best = self._top(logits, logprobs or 0)
                token = llama_cpp.llama_sampler_sample(chain, self.ctx, -1)
                if self.is_end(token):
                    choice.finish_reason = "stop"
                    break
                choice.generated += 1
                logprob, top = None, None
                if scoring:
                    logprob = float(logits[token]) - total
                    choice.logprob_sum += logprob
                    if logprobs is not None:
                        top = self._alternatives(logits, total, best, token)
                released = scanner.add(text.add(self.piece(token)), logprob, top)
                if released:
                    choice.tokens.extend(released)
                    yield released, choice
                if scanner.stopped:
                    choice.finish_reason = "stop"
                    break
                if choice.generated >= max_tokens or len(self._cached) >= self.n_ctx:
                    choice.finish_reason = "length"
                    break
                self._decode([token])
        finally:
            llama_cpp.llama_sampler_free(chain)
        released = [] if scanner.stopped else scanner.finish(text.flush())
        choice.tokens.extend(released)
        yield released, choice
