"""Turns a JSON websocket message into the form data the completion form validates.

The form data is what the page's form posts, so a message from the page and one from
another client go through the same form.
"""

import json

from django.utils.datastructures import MultiValueDict

from . import parameters
from .parameters import Type

# Fields of a message that are no form field.
MESSAGE_FIELDS = ("action", "HEADERS")


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

    Lists become repeated fields (stop), booleans become checkboxes, JSON for a field that
    holds JSON text becomes its text, and a logit_bias object (the API's shape) becomes
    the rows of the logit_bias table, as the page posts them.
    """
    data: MultiValueDict = MultiValueDict()
    for key, value in message.items():
        if key in MESSAGE_FIELDS:
            continue
        parameter = parameters.get(key)
        kind = parameter.type if parameter else None
        if parameter is not None and kind is Type.TOKEN_BIASES and isinstance(value, dict):
            rows = [[str(token), str(bias)] for token, bias in value.items()]
            for name, values in parameter.form_data(rows).items():
                data.setlist(name, values)
        elif kind in (Type.PROMPT_JSON, Type.OBJECT_JSON) and isinstance(value, (list, dict)):
            data.setlist(key, [json.dumps(value)])
        else:
            data.setlist(key, _as_strings(value))
    return data
