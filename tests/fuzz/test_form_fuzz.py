"""Any value in any field of the completion form: validation never raises, its errors are
plain messages, and a form it accepts always makes a body that is strict JSON."""

import json

import pytest
from django.utils.datastructures import MultiValueDict
from hypothesis import given
from hypothesis import strategies as st

from playground.completions.forms import CompletionForm
from playground.completions.messages import form_data_from_message
from playground.completions.request_body import build_request_body, expected_choice_count
from playground.json_values import is_integer
from playground.sessions.models import PlaygroundSession
from playground.sessions.state import UnsavableState, save_state
from playground.sockets.frames import RefusedFrame, read_message

from .examples import fuzz_settings
from .strategies import form_posts, json_values, messages_with

pytestmark = pytest.mark.django_db

FUZZ = fuzz_settings(150)

form_data = form_posts(max_values=6)


# OpenAI's CreateCompletionRequest bounds, written out here rather than imported from the
# form, so that the form is checked against them; max_tokens' cap is the playground's own.
SCHEMA_INTEGERS = {
    "max_tokens": (0, 2**31 - 1),
    "n": (1, 128),
    "logprobs": (0, 5),
    "best_of": (0, 20),
    "seed": (-(2**63), 2**63 - 1),
}
SCHEMA_NUMBERS = {
    "temperature": (0, 2),
    "top_p": (0, 1),
    "presence_penalty": (-2, 2),
    "frequency_penalty": (-2, 2),
}


def assert_within_the_schema(body: dict) -> None:
    for name, (low, high) in SCHEMA_INTEGERS.items():
        if name in body:
            assert is_integer(body[name]) and low <= body[name] <= high, (name, body[name])
    for name, (low, high) in SCHEMA_NUMBERS.items():
        if name in body:
            assert low <= body[name] <= high, (name, body[name])
    if "n" in body and "best_of" in body:
        assert body["best_of"] > body["n"]
    for token, bias in body.get("logit_bias", {}).items():
        assert token.isdigit() and is_integer(bias) and -100 <= bias <= 100, (token, bias)
    assert len(body.get("stop", [])) <= 4


def assert_validates_cleanly(form: CompletionForm) -> None:
    if form.is_valid():
        body = build_request_body(form.cleaned_data)
        # What goes upstream is strict JSON: no NaN, no Infinity.
        json.dumps(body, allow_nan=False)
        assert expected_choice_count(body) >= 1
        assert_within_the_schema(body)
    else:
        for field, errors in form.errors.items():
            assert errors and all(isinstance(e, str) and e.strip() for e in errors), field


@FUZZ
@given(data=form_data, use_real_provider=st.booleans())
def test_the_form_takes_any_strings_in_any_field(alice, alice_provider, data, use_real_provider):
    data = MultiValueDict(data)
    if use_real_provider:
        data.setlist("provider", [str(alice_provider.pk)])
        data.setlist("model", ["fake-model"])

    assert_validates_cleanly(CompletionForm(data, user=alice))


@FUZZ
@given(message=messages_with(st.just("run")) | st.dictionaries(st.text(), json_values))
def test_the_form_takes_any_socket_message_the_socket_lets_through(alice, alice_provider, message):
    try:
        message = read_message(json.dumps(message), None)
    except RefusedFrame:
        return
    data = form_data_from_message(message)

    assert_validates_cleanly(CompletionForm(data, user=alice))


@FUZZ
@given(data=form_data)
def test_saving_any_form_state_either_works_or_says_why(alice, alice_provider, data):
    session = PlaygroundSession(owner=alice)
    try:
        save_state(session, MultiValueDict(data), alice)
    except UnsavableState as exc:
        assert str(exc).strip()
    else:
        session.save()
