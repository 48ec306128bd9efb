"""How likely the model finds a row's `expected` as the continuation of its prompt.

One more request a row: the prompt with `expected` after it, echoed with logprobs and
generating nothing (as prompt scoring does, execution/exploring.py). The tokens from the
end of the prompt on are `expected`'s (a token across the boundary counts with them): their
log-probabilities added up, and the per-token perplexity, exp of minus their mean. Only
where the probe did not find that the model gives no logprobs for an echoed prompt (a model
never probed is taken as OpenAI's API describes it, which does); elsewhere the row has no
such score, and the page says why.
"""

import contextlib
import math

from playground.execution.exploring import NEVER_SENT, Unreadable, score_result
from playground.providers.client import UpstreamError, stream_completion
from playground.providers.quirks import Quirk

from .requests import RowRequest
from .scores import LIKELIHOOD_SCORES

LOGPROB, PERPLEXITY = LIKELIHOOD_SCORES
NOT_PROBED_CAPABLE = (
    "The probe found that this model gives no log probabilities for an echoed prompt, so "
    "the log-probability of expected is not scored."
)


def can_score(request: RowRequest) -> bool:
    return request.echo_logprobs is not False and isinstance(request.body.get("prompt"), str)


def likelihood_body(request: RowRequest, expected: str) -> dict:
    body = {k: v for k, v in request.body.items() if k not in NEVER_SENT}
    # Quirk (llama-cpp-python, and others that read 0 as "no limit"): one token instead,
    # left out of the score as it comes after expected.
    zero_unlimited = Quirk.ZERO_MAX_TOKENS_UNLIMITED in request.quirks
    body.update(
        prompt=request.body["prompt"] + expected,
        n=1,
        stream=False,
        max_tokens=1 if zero_unlimited else 0,
        logprobs=1,
        echo=True,
    )
    return body


def expected_scores(data: dict, prompt: str, expected: str) -> dict:
    """The two scores from the provider's answer; None each when it carries no logprobs."""
    try:
        scored = score_result(data, prompt + expected)
    except Unreadable:
        return {LOGPROB: None, PERPLEXITY: None}
    own = [
        token["logprob"]
        for token in scored["tokens"]
        if token["offset"] + len(token["text"]) > len(prompt) and token["logprob"] is not None
    ]
    if not own:
        return {LOGPROB: None, PERPLEXITY: None}
    total = sum(own)
    perplexity = None
    with contextlib.suppress(OverflowError):
        perplexity = math.exp(-total / len(own))
    return {LOGPROB: total, PERPLEXITY: perplexity}


async def score_expected(request: RowRequest, expected: str) -> dict:
    """Sends the request and scores `expected`; None each when the provider fails."""
    assert request.provider is not None
    body = likelihood_body(request, expected)
    try:
        chunks = stream_completion(request.provider, body)
        async with contextlib.aclosing(chunks):
            async for chunk in chunks:
                return expected_scores(chunk.data, request.body["prompt"], expected)
    except UpstreamError:
        pass
    return {LOGPROB: None, PERPLEXITY: None}
