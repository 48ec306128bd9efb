"""Turns a JSON websocket message into the form data the completion form validates."""

import json

from django.utils.datastructures import MultiValueDict

JSON_TEXT_FIELDS = ("prompt_json", "extra_body")


def _as_strings(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, bool):
        return ["on"] if value else []
    if isinstance(value, list):
        return [item for v in value for item in _as_strings(v)]
    if isinstance(value, dict):
        return [json.dumps(value)]
    return [str(value)]


def form_data_from_message(message: dict) -> MultiValueDict:
    """Page messages carry form fields as strings; other clients may send JSON types.

    Lists become repeated fields (stop), booleans become checkboxes, and a logit_bias
    object becomes the rows of the logit_bias table.
    """
    data = MultiValueDict()
    for key, value in message.items():
        if key in ("action", "HEADERS"):
            continue
        if key == "logit_bias" and isinstance(value, dict):
            data.setlist("logit_bias_token", [str(token) for token in value])
            data.setlist("logit_bias_bias", [str(bias) for bias in value.values()])
        elif key in JSON_TEXT_FIELDS and isinstance(value, (list, dict)):
            data.setlist(key, [json.dumps(value)])
        else:
            data.setlist(key, _as_strings(value))
    return data
