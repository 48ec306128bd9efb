"""Turns a valid CompletionForm into the exact JSON body sent to POST /completions."""

OPTIONAL_PARAMETERS = (
    "suffix",
    "max_tokens",
    "temperature",
    "top_p",
    "n",
    "logprobs",
    "presence_penalty",
    "frequency_penalty",
    "best_of",
    "seed",
    "user",
)


def _as_json_number(value):
    # 1.0 goes out as 1: some providers type temperature and friends as integers.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def build_request_body(cleaned_data: dict) -> dict:
    """Only what the user set goes upstream, plus model, prompt and stream."""
    prompt = cleaned_data.get("prompt_json")
    if prompt is None:
        prompt = cleaned_data.get("prompt") or ""
    body = {"model": cleaned_data["model"], "prompt": prompt}
    for name in OPTIONAL_PARAMETERS:
        value = cleaned_data.get(name)
        if value not in (None, ""):
            body[name] = _as_json_number(value)
    body["stream"] = bool(cleaned_data.get("stream"))
    if body["stream"] and cleaned_data.get("include_usage"):
        body["stream_options"] = {"include_usage": True}
    if cleaned_data.get("echo"):
        body["echo"] = True
    stop = cleaned_data.get("stop")
    if stop:
        body["stop"] = stop
    if cleaned_data.get("logit_bias"):
        body["logit_bias"] = cleaned_data["logit_bias"]
    body.update(cleaned_data.get("extra_body") or {})
    return body


def expected_choice_count(body: dict) -> int:
    prompt = body.get("prompt")
    prompts = 1
    if isinstance(prompt, list) and prompt and not isinstance(prompt[0], int):
        prompts = len(prompt)
    return prompts * int(body.get("n") or 1)
