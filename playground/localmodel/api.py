"""The local model's OpenAI-compatible HTTP server: /v1/completions and /v1/models.

`python -m playground.localmodel.api --model PATH --port PORT` (LocalModelServer starts it).
It is Starlette on uvicorn, both installed with llama-cpp-python[server]. It needs no Django.

How it reads a completion request, where OpenAI leaves room:
- prompt: a string, a list of strings, a list of token ids or a list of those lists. A
  string gets the model's beginning-of-text token first; token ids are taken as they are.
- max_tokens: 16 when absent or null (OpenAI's default). 0 generates nothing (finish_reason
  "length"); with echo and logprobs that scores the prompt. Generation also ends with
  "length" when the context is full.
- n choices per prompt, choice index = prompt index * n + choice; with a seed, choice j
  samples with seed + j (so choice 0 is what n=1 gives).
- best_of (not while streaming): best_of choices per prompt, the n with the highest mean
  logprob per token are returned; usage counts all of them.
- logprobs: 0 to MAX_LOGPROBS alternatives per token, from the model's own distribution
  (before temperature, top_p, penalties and logit_bias). As OpenAI's, the chosen token is
  always among them, so there may be k + 1. With echo, the prompt's tokens come first: the
  first has null (nothing before it); the beginning-of-text token has the text "".
- text_offset counts characters in prompt + completion, as OpenAI's.
- logit_bias of -100 bans a token; presence and frequency penalties count generated tokens.
- suffix: 400, unless the model has fill-in-the-middle tokens (Gemma 3 270M has none).
- An unknown field is a 400, as OpenAI's; so is anything out of range.
Requests are served one at a time, in order (the model is one); the others wait. A client
that goes away stops its generation at the next token.
"""

import argparse
import asyncio
import concurrent.futures
import json
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import uvicorn
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from .engine import MAX_LOGPROBS, Cancelled, Choice, Engine, EngineError, Prompt, Sampling
from .text import Token

logger = logging.getLogger("playground.localmodel.api")

MAX_N = 16
# Choices generated for one request, over all its prompts (n or best_of each).
MAX_SEQUENCES = 64
MAX_STOPS = 4
DEFAULT_MAX_TOKENS = 16


# The fields that take one of several shapes: pydantic's message names only the first.
UNION_SHAPES = {
    "prompt": "a string, a list of strings, a list of token ids or a list of such lists",
    "stop": f"a string or a list of at most {MAX_STOPS} strings",
}


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    include_usage: bool | None = None


TokenIds = list[Annotated[int, Field(ge=0)]]


class CompletionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str
    prompt: str | list[str] | TokenIds | list[TokenIds] = ""
    suffix: str | None = None
    max_tokens: Annotated[int, Field(ge=0)] | None = None
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    top_p: Annotated[float, Field(ge=0, le=1)] | None = None
    n: Annotated[int, Field(ge=1, le=MAX_N)] | None = None
    best_of: Annotated[int, Field(ge=1, le=MAX_N)] | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    logprobs: Annotated[int, Field(ge=0, le=MAX_LOGPROBS)] | None = None
    echo: bool | None = None
    stop: str | Annotated[list[str], Field(max_length=MAX_STOPS)] | None = None
    presence_penalty: Annotated[float, Field(ge=-2, le=2)] | None = None
    frequency_penalty: Annotated[float, Field(ge=-2, le=2)] | None = None
    logit_bias: dict[str, Annotated[float, Field(ge=-100, le=100)]] | None = None
    seed: int | None = None
    user: str | None = None
    # llama.cpp's, not OpenAI's: off unless asked for.
    top_k: Annotated[int, Field(ge=0)] | None = None
    min_p: Annotated[float, Field(ge=0, le=1)] | None = None
    repeat_penalty: Annotated[float, Field(gt=0)] | None = None


class TokenizeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    input: str
    add_bos: bool = True


class DetokenizeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tokens: list[int]


class BadRequest(Exception):
    def __init__(self, message: str, param: str | None = None, status: int = 400, code=None):
        super().__init__(message)
        self.message, self.param, self.status, self.code = message, param, status, code


def error_response(
    message: str, status: int = 400, param=None, code=None, kind="invalid_request_error"
) -> JSONResponse:
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return JSONResponse(body, status_code=status)


def _validation_message(error: ValidationError) -> tuple[str, str | None]:
    first = error.errors()[0]
    location = ".".join(str(part) for part in first["loc"])
    if first["type"] == "extra_forbidden":
        return f"Unrecognized request argument supplied: {location}", location
    param = str(first["loc"][0]) if first["loc"] else None
    if param in UNION_SHAPES:
        return f"Invalid value for {param}: it must be {UNION_SHAPES[param]}.", param
    return f"Invalid value for {location or 'the request'}: {first['msg']}", param


async def _parse(request: Request, schema: type[BaseModel]) -> Any:
    try:
        data = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object.")
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        message, param = _validation_message(exc)
        raise BadRequest(message, param) from exc


class Plan:
    """A validated completion request, in the terms the engine takes."""

    def __init__(self, body: CompletionRequest, engine: Engine):
        self.body = body
        self.stream = bool(body.stream)
        self.echo = bool(body.echo)
        self.logprobs = body.logprobs
        self.n = body.n or 1
        self.best_of = body.best_of or self.n
        if self.best_of < self.n:
            raise BadRequest("best_of must be at least n.", "best_of")
        if self.stream and self.best_of > self.n:
            raise BadRequest("best_of cannot be used while streaming.", "best_of")
        self.max_tokens = DEFAULT_MAX_TOKENS if body.max_tokens is None else body.max_tokens
        stops = [body.stop] if isinstance(body.stop, str) else body.stop or []
        self.stops = [stop for stop in stops if stop]
        self.include_usage = bool(body.stream_options and body.stream_options.include_usage)
        if body.stream_options is not None and not self.stream:
            raise BadRequest("stream_options is only allowed with stream.", "stream_options")
        self.sampling = Sampling(
            temperature=1.0 if body.temperature is None else body.temperature,
            top_p=1.0 if body.top_p is None else body.top_p,
            presence_penalty=body.presence_penalty or 0.0,
            frequency_penalty=body.frequency_penalty or 0.0,
            logit_bias=self._logit_bias(body.logit_bias or {}, engine.n_vocab),
            seed=body.seed,
            top_k=body.top_k or 0,
            min_p=body.min_p or 0.0,
            repeat_penalty=body.repeat_penalty or 1.0,
        )
        self.prompts = self._prompts(body, engine)
        if len(self.prompts) * self.best_of > MAX_SEQUENCES:
            raise BadRequest(
                f"At most {MAX_SEQUENCES} choices per request (prompts times n or best_of).",
                "n",
            )
        try:
            for tokens in self.prompts:
                engine.check_tokens(tokens)
        except EngineError as exc:
            raise BadRequest(str(exc), "prompt") from exc

    @staticmethod
    def _logit_bias(biases: dict[str, float], n_vocab: int) -> dict[int, float]:
        result = {}
        for key, bias in biases.items():
            try:
                token = int(key)
            except ValueError:
                token = -1
            if not 0 <= token < n_vocab:
                raise BadRequest(
                    f"logit_bias: {key!r} is not a token id of this model (0 to {n_vocab - 1}).",
                    "logit_bias",
                )
            result[token] = bias
        return result

    @staticmethod
    def _prompts(body: CompletionRequest, engine: Engine) -> list[list[int]]:
        prompt = body.prompt
        if body.suffix:
            if not isinstance(prompt, str):
                raise BadRequest("suffix needs a single string prompt.", "suffix")
            try:
                return [engine.fill_in_the_middle(prompt, body.suffix)]
            except EngineError as exc:
                raise BadRequest(str(exc), "suffix") from exc
        if isinstance(prompt, str):
            return [engine.tokenize(prompt)]
        if not prompt:
            raise BadRequest("The prompt list is empty.", "prompt")
        if all(isinstance(p, str) for p in prompt):
            return [engine.tokenize(p) for p in prompt]  # type: ignore[arg-type]
        if all(isinstance(p, int) for p in prompt):
            return [list(prompt)]  # type: ignore[arg-type]
        return [list(p) for p in prompt]  # type: ignore[arg-type]

    def seed(self, choice: int) -> int:
        if self.sampling.seed is None:
            return random.getrandbits(32) % 0xFFFFFFFF
        return (self.sampling.seed + choice) % 0xFFFFFFFF


def _logprobs(tokens: list[Token]) -> dict:
    return {
        "tokens": [t.text for t in tokens],
        "token_logprobs": [t.logprob for t in tokens],
        "top_logprobs": [t.top for t in tokens],
        "text_offset": [t.offset for t in tokens],
    }


class Job:
    """One request's work on the model thread; it reports through emit (on the event loop)."""

    def __init__(
        self,
        name: str,
        plan: Plan,
        engine: Engine,
        emit: Callable[[tuple], None] | None = None,
    ):
        self.name = name
        self.plan = plan
        self.engine = engine
        self.emit = emit
        self.cancelled = False
        self.prompt_tokens = 0
        self.completion_tokens = 0

    def cancel(self) -> None:
        self.cancelled = True

    def run(self) -> list[tuple[Prompt, Choice]]:
        try:
            results = self._run()
        except Cancelled:
            self.log("stopped: the client went away")
            raise
        self.log("finished")
        return results

    def log(self, outcome: str) -> None:
        logger.info(
            "%s %s: %d prompt tokens, %d generated",
            self.name,
            outcome,
            self.prompt_tokens,
            self.completion_tokens,
        )

    def _run(self) -> list[tuple[Prompt, Choice]]:
        plan, engine = self.plan, self.engine
        results = []
        for prompt_index, tokens in enumerate(plan.prompts):
            if self.cancelled:
                raise Cancelled
            scored = plan.logprobs if plan.echo else None
            prompt = engine.prompt(tokens, scored)
            self.prompt_tokens += len(tokens)
            candidates = []
            for copy in range(plan.best_of):
                index = prompt_index * plan.n + copy
                if self.emit and plan.echo:
                    self.emit(("tokens", index, prompt.echo))
                choice = self._generate(prompt, index, plan.seed(copy))
                candidates.append(choice)
            if plan.best_of > plan.n:
                candidates.sort(key=lambda c: c.logprob_sum / max(c.generated, 1), reverse=True)
                candidates = sorted(candidates[: plan.n], key=lambda c: c.index)
                for copy, choice in enumerate(candidates):
                    choice.index = prompt_index * plan.n + copy
            results += [(prompt, choice) for choice in candidates]
        return results

    def _generate(self, prompt: Prompt, index: int, seed: int) -> Choice:
        plan = self.plan
        choice = Choice(index)
        try:
            for released, _ in self.engine.generate(
                prompt,
                choice,
                max_tokens=plan.max_tokens,
                sampling=plan.sampling,
                seed=seed,
                logprobs=plan.logprobs,
                stops=plan.stops,
                base_offset=len(prompt.text),
                cancelled=lambda: self.cancelled,
                need_logprob_sum=plan.best_of > plan.n,
            ):
                if self.emit and released:
                    self.emit(("tokens", index, released))
        finally:
            self.completion_tokens += choice.generated
        if self.emit:
            self.emit(("finish", index, choice.finish_reason))
        return choice

    def usage(self) -> dict:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }


class ModelServer:
    def __init__(self, engine: Engine, alias: str):
        self.engine = engine
        self.alias = alias
        self.created = int(time.time())
        # The model is one: one thread runs every request's work, in the order they came.
        self.worker = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="model")

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/completions", self.completions, methods=["POST"]),
                Route("/v1/models", self.models, methods=["GET"]),
                Route("/v1/models/{model:path}", self.model, methods=["GET"]),
                Route("/extras/tokenize", self.tokenize, methods=["POST"]),
                Route("/extras/detokenize", self.detokenize, methods=["POST"]),
                Route("/health", self.health, methods=["GET"]),
            ],
            exception_handlers={HTTPException: self.http_error, Exception: self.server_error},
        )

    # --- small endpoints ---------------------------------------------------------------

    def _model_card(self) -> dict:
        return {"id": self.alias, "object": "model", "created": self.created, "owned_by": "local"}

    async def models(self, request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [self._model_card()]})

    async def model(self, request: Request) -> Response:
        if request.path_params["model"] != self.alias:
            return self._no_such_model(request.path_params["model"])
        return JSONResponse(self._model_card())

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def tokenize(self, request: Request) -> Response:
        try:
            body = await _parse(request, TokenizeRequest)
        except BadRequest as exc:
            return error_response(exc.message, param=exc.param)
        tokens = self.engine.tokenize(body.input, body.add_bos)
        return JSONResponse({"tokens": tokens})

    async def detokenize(self, request: Request) -> Response:
        try:
            body = await _parse(request, DetokenizeRequest)
            if any(not 0 <= t < self.engine.n_vocab for t in body.tokens):
                raise BadRequest("A token id is not in the model's vocabulary.", "tokens")
        except BadRequest as exc:
            return error_response(exc.message, param=exc.param)
        return JSONResponse({"text": self.engine.detokenize(body.tokens)})

    def _no_such_model(self, model: str) -> Response:
        return error_response(
            f"The model `{model}` does not exist; this server serves `{self.alias}`.",
            status=404,
            param="model",
            code="model_not_found",
        )

    async def http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return error_response(str(exc.detail), status=exc.status_code)

    async def server_error(self, request: Request, exc: Exception) -> Response:
        logger.exception("Unexpected error")
        return error_response(f"{type(exc).__name__}: {exc}", status=500, kind="server_error")

    # --- completions -------------------------------------------------------------------

    async def completions(self, request: Request) -> Response:
        try:
            body = await _parse(request, CompletionRequest)
            if body.model != self.alias:
                return self._no_such_model(body.model)
            # Tokenizing only reads the vocabulary: it need not wait for the model thread.
            plan = Plan(body, self.engine)
        except BadRequest as exc:
            return error_response(exc.message, status=exc.status, param=exc.param, code=exc.code)
        meta = {
            "id": f"cmpl-{uuid.uuid4().hex}",
            "object": "text_completion",
            "created": int(time.time()),
            "model": self.alias,
        }
        if plan.stream:
            return StreamingResponse(
                self._stream(plan, meta),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        return await self._complete(request, plan, meta)

    async def _complete(self, request: Request, plan: Plan, meta: dict) -> Response:
        job = Job(meta["id"], plan, self.engine)
        future: asyncio.Future[Any] = asyncio.get_running_loop().run_in_executor(
            self.worker, job.run
        )
        gone: asyncio.Future[Any] = asyncio.ensure_future(_disconnected(request))
        try:
            await asyncio.wait([future, gone], return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
        if not future.done():
            job.cancel()
            return Response(status_code=499)
        try:
            results = future.result()
        except Cancelled:
            return Response(status_code=499)
        except EngineError as exc:
            return error_response(str(exc))
        choices = []
        for prompt, choice in sorted(results, key=lambda r: r[1].index):
            tokens = (prompt.echo if plan.echo else []) + choice.tokens
            choices.append(
                {
                    "text": "".join(t.text for t in tokens),
                    "index": choice.index,
                    "logprobs": _logprobs(tokens) if plan.logprobs is not None else None,
                    "finish_reason": choice.finish_reason,
                }
            )
        return JSONResponse({**meta, "choices": choices, "usage": job.usage()})

    async def _stream(self, plan: Plan, meta: dict) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple] = asyncio.Queue()

        def emit(event: tuple) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, event)

        job = Job(meta["id"], plan, self.engine, emit)

        def run() -> None:
            try:
                job.run()
                emit(("done",))
            except Cancelled:
                emit(("cancelled",))
            except Exception as exc:
                logger.exception("%s: generation failed", meta["id"])
                emit(("error", exc))

        usage_field = {"usage": None} if plan.include_usage else {}
        loop.run_in_executor(self.worker, run)
        finished = False
        try:
            while True:
                event = await queue.get()
                kind = event[0]
                if kind == "tokens":
                    _, index, tokens = event
                    choice = {
                        "text": "".join(t.text for t in tokens),
                        "index": index,
                        "logprobs": _logprobs(tokens) if plan.logprobs is not None else None,
                        "finish_reason": None,
                    }
                elif kind == "finish":
                    _, index, reason = event
                    choice = {"text": "", "index": index, "logprobs": None, "finish_reason": reason}
                elif kind == "done":
                    break
                else:
                    message = f"{type(event[1]).__name__}: {event[1]}" if kind == "error" else ""
                    yield _sse({"error": {"message": message, "type": "server_error"}})
                    finished = True
                    return
                yield _sse({**meta, "choices": [choice], **usage_field})
            if plan.include_usage:
                yield _sse({**meta, "choices": [], "usage": job.usage()})
            yield "data: [DONE]\n\n"
            finished = True
        finally:
            if not finished:
                # The client went away: the model thread stops at its next token.
                job.cancel()


def _sse(data: dict) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


async def _disconnected(request: Request) -> None:
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m playground.localmodel.api")
    parser.add_argument("--model", required=True, help="the .gguf file")
    parser.add_argument("--alias", required=True, help="the model's name in the API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--n-ctx", type=int, default=2048)
    parser.add_argument("--threads", type=int, default=None, help="default: half the cores")
    parser.add_argument(
        "--extra-buffers",
        choices=["auto", "on", "off"],
        default="auto",
        help="llama.cpp's repacked weights; auto: off on a CPU with AMX",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    extra_buffers = {"auto": None, "on": True, "off": False}[args.extra_buffers]
    engine = Engine(args.model, args.n_ctx, args.threads, extra_buffers)
    server = ModelServer(engine, args.alias)
    uvicorn.run(server.app(), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
