"""The local model server (playground/localmodel/api.py) straight over HTTP, on the real model."""

import asyncio
import json
import math

import httpx
import pytest

from playground.localmodel.engine import MAX_LOGPROBS
from playground.localmodel.server import MODEL_ALIAS

pytestmark = pytest.mark.localmodel

PROMPT = "The capital of France is"


@pytest.fixture
def api(local_model_server):
    with httpx.Client(base_url=local_model_server.base_url, timeout=120) as client:
        yield client


def complete(api, **fields) -> dict:
    reply = api.post("/completions", json={"model": MODEL_ALIAS, "prompt": PROMPT, **fields})
    assert reply.status_code == 200, reply.text
    return reply.json()


def stream(api, **fields) -> list:
    """The stream's events: each data line parsed, and "[DONE]" as it came."""
    body = {"model": MODEL_ALIAS, "prompt": PROMPT, "stream": True, **fields}
    events = []
    with api.stream("POST", "/completions", json=body) as reply:
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("text/event-stream")
        for line in reply.iter_lines():
            if line.startswith("data: "):
                data = line.removeprefix("data: ")
                events.append(data if data == "[DONE]" else json.loads(data))
    return events


def tokenize(api, text: str) -> list[int]:
    root = str(api.base_url).removesuffix("/v1/").removesuffix("/v1")
    return httpx.post(f"{root}/extras/tokenize", json={"input": text, "add_bos": False}).json()[
        "tokens"
    ]


def test_a_completion_is_an_openai_text_completion(api):
    body = complete(api, max_tokens=8, temperature=0)

    assert body["object"] == "text_completion"
    assert body["id"].startswith("cmpl-")
    assert body["model"] == MODEL_ALIAS
    [choice] = body["choices"]
    assert choice["index"] == 0
    assert choice["text"].strip()
    assert choice["logprobs"] is None
    assert choice["finish_reason"] in ("length", "stop")
    usage = body["usage"]
    assert usage["prompt_tokens"] == len(tokenize(api, PROMPT)) + 1  # and the BOS token
    assert 0 < usage["completion_tokens"] <= 8
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_a_stream_sends_the_same_text_token_by_token(api):
    whole = complete(api, max_tokens=12, temperature=0)["choices"][0]

    events = stream(api, max_tokens=12, temperature=0, stream_options={"include_usage": True})

    assert events[-1] == "[DONE]"
    usage_chunk = events[-2]
    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"]["completion_tokens"] == 12
    chunks = events[:-2]
    assert len(chunks) >= 3
    assert all(chunk["usage"] is None for chunk in chunks)
    assert "".join(c["choices"][0]["text"] for c in chunks) == whole["text"]
    assert chunks[-1]["choices"][0]["finish_reason"] == whole["finish_reason"]
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks[:-1])


def test_logprobs_bring_at_least_ten_alternatives_per_token(api):
    choice = complete(api, max_tokens=16, temperature=0.7, seed=3, logprobs=10)["choices"][0]

    logprobs = choice["logprobs"]
    tokens = logprobs["tokens"]
    assert len(tokens) == 16
    assert "".join(tokens) == choice["text"]
    alternatives = zip(tokens, logprobs["token_logprobs"], logprobs["top_logprobs"], strict=True)
    for token, logprob, top in alternatives:
        assert 10 <= len(top) <= 11  # the chosen token is always among them
        assert token in top
        assert top[token] == logprob
        assert all(lp <= 0 for lp in top.values())
        assert sum(math.exp(lp) for lp in top.values()) <= 1 + 1e-6
    # Offsets count characters of prompt + completion, as OpenAI's.
    assert logprobs["text_offset"][0] == len(PROMPT)
    offsets = logprobs["text_offset"]
    ends = [offset + len(token) for offset, token in zip(offsets, tokens, strict=True)]
    assert logprobs["text_offset"][1:] == ends[:-1]


def test_the_greedy_token_is_the_most_likely_one(api):
    logprobs = complete(api, max_tokens=6, temperature=0, logprobs=5)["choices"][0]["logprobs"]

    for logprob, top in zip(logprobs["token_logprobs"], logprobs["top_logprobs"], strict=True):
        assert logprob == max(top.values())


def test_streamed_logprobs_match_the_whole_ones(api):
    whole = complete(api, max_tokens=8, temperature=0, logprobs=MAX_LOGPROBS)["choices"][0]

    chunks = [e for e in stream(api, max_tokens=8, temperature=0, logprobs=MAX_LOGPROBS)][:-1]

    streamed = {"tokens": [], "token_logprobs": [], "top_logprobs": [], "text_offset": []}
    for chunk in chunks:
        part = chunk["choices"][0]["logprobs"]
        for key in streamed if part else []:
            streamed[key] += part[key]
    assert streamed == whole["logprobs"]
    assert all(len(top) >= MAX_LOGPROBS for top in streamed["top_logprobs"])


def test_echo_with_logprobs_and_no_tokens_scores_the_prompt(api):
    choice = complete(api, max_tokens=0, echo=True, logprobs=3)["choices"][0]

    assert choice["text"] == PROMPT
    assert choice["finish_reason"] == "length"
    logprobs = choice["logprobs"]
    assert "".join(logprobs["tokens"]) == PROMPT
    # The beginning-of-text token comes first, with no text and nothing before it.
    assert logprobs["tokens"][0] == ""
    assert logprobs["token_logprobs"][0] is None
    assert logprobs["top_logprobs"][0] is None
    assert all(lp < 0 for lp in logprobs["token_logprobs"][1:])
    assert all(3 <= len(top) <= 4 for top in logprobs["top_logprobs"][1:])
    assert logprobs["text_offset"] == [0, 0, 3, 11, 14, 21]


def test_max_tokens_zero_writes_nothing(api):
    body = complete(api, max_tokens=0)

    assert body["choices"][0]["text"] == ""
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"]["completion_tokens"] == 0


def test_a_streamed_echo_comes_first_then_the_completion(api):
    whole = complete(api, max_tokens=6, temperature=0, echo=True)["choices"][0]

    chunks = stream(api, max_tokens=6, temperature=0, echo=True)[:-1]

    assert chunks[0]["choices"][0]["text"] == PROMPT
    assert "".join(c["choices"][0]["text"] for c in chunks) == whole["text"]
    assert whole["text"].startswith(PROMPT)
    assert whole["text"].count(PROMPT) == 1


def test_a_stop_sequence_ends_the_text_before_it(api):
    free = complete(api, max_tokens=24, temperature=0)["choices"][0]
    assert " of " in free["text"]

    stopped = complete(api, max_tokens=24, temperature=0, stop=[" of ", "zzz"], logprobs=1)
    choice = stopped["choices"][0]

    assert choice["finish_reason"] == "stop"
    assert choice["text"] == free["text"].split(" of ")[0]
    assert "".join(choice["logprobs"]["tokens"]) == choice["text"]


def test_a_streamed_stop_sequence_is_never_sent(api):
    free = complete(api, max_tokens=24, temperature=0)["choices"][0]["text"]

    chunks = stream(api, max_tokens=24, temperature=0, stop=" of ")[:-1]

    assert "".join(c["choices"][0]["text"] for c in chunks) == free.split(" of ")[0]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_n_choices_come_from_one_request(api):
    body = complete(api, n=3, max_tokens=8, temperature=1, seed=11)

    assert [c["index"] for c in body["choices"]] == [0, 1, 2]
    texts = [c["text"] for c in body["choices"]]
    assert len(set(texts)) > 1
    # With a seed, choice 0 is what n=1 gives.
    assert complete(api, max_tokens=8, temperature=1, seed=11)["choices"][0]["text"] == texts[0]
    assert (
        body["usage"]["completion_tokens"] == sum(len(tokenize(api, t)) for t in texts)
        or body["usage"]["completion_tokens"] <= 24
    )


def test_streamed_choices_carry_their_index(api):
    chunks = stream(api, n=2, max_tokens=4, temperature=1, seed=5)[:-1]

    finished = [c["choices"][0]["index"] for c in chunks if c["choices"][0]["finish_reason"]]
    assert finished == [0, 1]


def test_a_list_of_prompts_gives_n_choices_each_in_order(api):
    prompts = ["1, 2, 3, 4,", PROMPT]
    body = complete(api, prompt=prompts, n=2, max_tokens=4, temperature=0)

    assert [c["index"] for c in body["choices"]] == [0, 1, 2, 3]
    texts = [c["text"] for c in body["choices"]]
    assert texts[0] == texts[1] != texts[2] == texts[3]
    alone = complete(api, prompt=prompts[1], max_tokens=4, temperature=0)
    assert alone["choices"][0]["text"] == texts[2]


def test_a_token_prompt_is_the_same_as_its_text(api):
    tokens = [2, *tokenize(api, PROMPT)]  # 2 is Gemma's beginning-of-text token

    as_tokens = complete(api, prompt=tokens, max_tokens=6, temperature=0)
    as_lists = complete(api, prompt=[tokens, tokens], max_tokens=6, temperature=0)

    text = complete(api, max_tokens=6, temperature=0)["choices"][0]["text"]
    assert as_tokens["choices"][0]["text"] == text
    assert [c["text"] for c in as_lists["choices"]] == [text, text]


def test_logit_bias_bans_a_token(api):
    plain = complete(api, max_tokens=1, temperature=0, logprobs=1)["choices"][0]
    [first] = tokenize(api, plain["text"])

    biased = complete(api, max_tokens=1, temperature=0, logprobs=1, logit_bias={first: -100})

    assert biased["choices"][0]["text"] != plain["text"]
    # logprobs are the model's own: the banned token is still the likeliest there.
    top = biased["choices"][0]["logprobs"]["top_logprobs"][0]
    assert max(top, key=top.get) == plain["text"]


def test_the_same_seed_gives_the_same_text_and_another_seed_another(api):
    fields = {"max_tokens": 12, "temperature": 1, "n": 3}
    first = [c["text"] for c in complete(api, seed=21, **fields)["choices"]]

    assert [c["text"] for c in complete(api, seed=21, **fields)["choices"]] == first
    assert [c["text"] for c in complete(api, seed=22, **fields)["choices"]] != first


def test_a_frequency_penalty_keeps_the_model_from_repeating_itself(api):
    fields = {"prompt": "1, 1, 1, 1, 1, 1, 1,", "max_tokens": 12, "temperature": 0}
    free = complete(api, **fields)["choices"][0]["text"]
    assert free.count("1") >= 4

    penalised = complete(api, **fields, frequency_penalty=2)["choices"][0]["text"]

    assert penalised.count("1") < free.count("1")


def test_a_presence_penalty_steers_away_from_words_already_written(api):
    free = complete(api, max_tokens=24, temperature=0)["choices"][0]["text"]

    penalised = complete(api, max_tokens=24, temperature=0, presence_penalty=2)
    text = penalised["choices"][0]["text"]

    assert text != free

    # Which words it avoids depends on the model's build; that it repeats fewer does not.
    def repeats(words: list[str]) -> int:
        return len(words) - len(set(words))

    assert repeats(text.split()) < repeats(free.split())


def test_best_of_returns_the_most_likely_of_its_choices(api):
    body = complete(api, max_tokens=6, temperature=1.5, seed=7, best_of=4, logprobs=0)

    [best] = body["choices"]
    assert best["index"] == 0
    assert body["usage"]["completion_tokens"] > len(best["logprobs"]["tokens"])
    mean = sum(best["logprobs"]["token_logprobs"]) / len(best["logprobs"]["tokens"])
    others = complete(api, max_tokens=6, temperature=1.5, seed=7, n=4, logprobs=0)["choices"]
    means = [sum(c["logprobs"]["token_logprobs"]) / len(c["logprobs"]["tokens"]) for c in others]
    assert mean == pytest.approx(max(means))


def test_text_that_splits_a_character_stays_whole(api):
    prompt = "Egyptian: 𓀀𓁐 and 🦙"
    tokens = tokenize(api, prompt)
    assert len(tokens) > len(prompt.split()), "some characters take several tokens"

    choice = complete(api, prompt=prompt, max_tokens=0, echo=True, logprobs=2)["choices"][0]

    assert choice["text"] == prompt
    assert "".join(choice["logprobs"]["tokens"]) == prompt
    assert "" in choice["logprobs"]["tokens"][1:], "a token that only starts a character"
    assert len(choice["logprobs"]["tokens"]) == len(tokens) + 1


def test_the_models_list_names_the_model(api):
    body = api.get("/models").json()

    assert [m["id"] for m in body["data"]] == [MODEL_ALIAS]


BAD_REQUESTS = [
    ({"suffix": "and more"}, "suffix", "fill-in-the-middle"),
    ({"logprobs": MAX_LOGPROBS + 1}, "logprobs", "less than or equal to 20"),
    ({"best_of": 2, "stream": True}, "best_of", "streaming"),
    ({"n": 2, "best_of": 1}, "best_of", "at least n"),
    ({"made_up": 1}, "made_up", "Unrecognized request argument"),
    ({"prompt": [[1, 2], "text"]}, "prompt", "a list of token ids"),
    ({"prompt": []}, "prompt", "empty"),
    ({"prompt": [300000]}, "prompt", "not in the model's vocabulary"),
    ({"prompt": "word " * 3000}, "prompt", "context is 2048 tokens"),
    ({"max_tokens": -1}, "max_tokens", "greater than or equal to 0"),
    ({"temperature": 3}, "temperature", "less than or equal to 2"),
    ({"stop": ["a", "b", "c", "d", "e"]}, "stop", "at most 4 strings"),
    ({"logit_bias": {"x": 5}}, "logit_bias", "not a token id"),
    ({"stream_options": {"include_usage": True}}, "stream_options", "only allowed with stream"),
]


@pytest.mark.parametrize(("fields", "param", "message"), BAD_REQUESTS)
def test_bad_requests_get_a_400_that_says_why(api, fields, param, message):
    reply = api.post("/completions", json={"model": MODEL_ALIAS, "prompt": PROMPT, **fields})

    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert message in error["message"]
    assert complete(api, max_tokens=1)["choices"][0]["finish_reason"]


def test_a_body_that_is_not_json_gets_a_400(api):
    reply = api.post("/completions", content=b"{not json", headers={"content-type": "x"})

    assert reply.status_code == 400
    assert "not valid JSON" in reply.json()["error"]["message"]


def test_an_unknown_model_gets_a_404(api):
    reply = api.post("/completions", json={"model": "gpt-4", "prompt": PROMPT})

    assert reply.status_code == 404
    assert reply.json()["error"]["code"] == "model_not_found"


async def test_requests_at_once_wait_their_turn(local_model_server):
    prompts = ["One, two,", "Red, green,", "Monday, Tuesday,", PROMPT]
    async with httpx.AsyncClient(base_url=local_model_server.base_url, timeout=120) as client:

        async def one(prompt, **fields):
            body = {"model": MODEL_ALIAS, "prompt": prompt, "max_tokens": 8, "temperature": 0}
            reply = await client.post("/completions", json={**body, **fields})
            return reply.json()["choices"][0]["text"]

        together = await asyncio.gather(
            *(one(p, stream=False) for p in prompts), one(prompts[0], logprobs=5)
        )
        alone = [await one(p) for p in prompts]

    assert together[:4] == alone
    assert together[4] == alone[0]


async def test_a_client_that_goes_away_stops_the_generation(local_model_server):
    body = {
        "model": MODEL_ALIAS,
        "prompt": "Tell me a very long story.",
        "max_tokens": 1900,
        "temperature": 1,
        "stream": True,
        "logit_bias": {"1": -100, "106": -100},  # <eos> and <end_of_turn>: it never ends
    }
    async with httpx.AsyncClient(base_url=local_model_server.base_url, timeout=120) as client:
        async with client.stream("POST", "/completions", json=body) as reply:
            lines = reply.aiter_lines()
            chunks = 0
            async for line in lines:
                chunks += line.startswith("data: ")
                if chunks == 3:
                    break
        # The next request waits for the model: it is free again soon after the disconnect.
        after = await client.post(
            "/completions", json={"model": MODEL_ALIAS, "prompt": PROMPT, "max_tokens": 2}
        )
    assert after.status_code == 200

    stopped = [
        line for line in local_model_server.log_tail(200).splitlines() if "went away" in line
    ]
    assert stopped
    generated = int(stopped[-1].split(", ")[-1].split()[0])
    assert 3 <= generated < 1900
