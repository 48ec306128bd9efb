"""Turns a valid CompletionForm into the exact JSON body sent to POST /completions.

Each registered parameter says how it goes in (parameters.Body); here is how each way works.
"""

from .parameters import Body, Parameter, Type, registered


def _as_json_number(value):
    # 1.0 goes out as 1: some providers type temperature and friends as integers.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _is_set(value) -> bool:
    # 0 is a value; blank text, an empty list and an unchecked box are not.
    return value is not None and value is not False and value not in ("", [], {})


def _api_value(parameter: Parameter, value):
    if parameter.type is Type.TOKEN_BIASES:
        # The API's shape for logit_bias: an object of token id (as text) -> bias.
        return {str(token): bias for token, bias in value}
    if parameter.type is Type.BOOLEAN:
        return bool(value)
    if parameter.type is Type.STRING and value is None:
        return ""
    return _as_json_number(value)


def build_request_body(cleaned_data: dict) -> dict:
    """Only what the user set goes upstream, plus model, prompt and stream."""
    body = {}
    for parameter in registered():
        value = cleaned_data.get(parameter.name)
        if parameter.body is Body.ALWAYS:
            body[parameter.key] = _api_value(parameter, value)
        elif parameter.body is Body.WHEN_SET:
            if _is_set(value):
                body[parameter.key] = _api_value(parameter, value)
        elif parameter.body is Body.STREAM_OPTION:
            if value and body.get("stream"):
                body.setdefault(parameter.key, {})[parameter.name] = True
        elif parameter.body is Body.MERGED:
            body.update(value or {})
    return body


def expected_choice_count(body: dict) -> int:
    prompt = body.get("prompt")
    prompts = 1
    if isinstance(prompt, list) and prompt and not isinstance(prompt[0], int):
        prompts = len(prompt)
    return prompts * int(body.get("n") or 1)
