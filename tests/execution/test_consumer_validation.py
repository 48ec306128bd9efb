"""An invalid run request gets a form.invalid frame naming the field, and nothing goes upstream."""

import pytest

from playground.runs.models import Run

from .helpers import page_message, run_and_collect, run_message

pytestmark = pytest.mark.django_db(transaction=True)

STREAM_OFF = {"stream": None}

INVALID_RUNS = {
    "temperature_above_2": ({"temperature": "2.5"}, "temperature", "between 0 and 2"),
    "temperature_below_0": ({"temperature": "-0.1"}, "temperature", "between 0 and 2"),
    "temperature_not_a_number": ({"temperature": "warm"}, "temperature", "must be a number"),
    "top_p_above_1": ({"top_p": "1.2"}, "top_p", "between 0 and 1"),
    "top_p_below_0": ({"top_p": "-1"}, "top_p", "between 0 and 1"),
    "n_zero": ({"n": "0"}, "n", "between 1 and 128"),
    "n_above_128": ({"n": "129"}, "n", "between 1 and 128"),
    "logprobs_above_5": ({"logprobs": "6"}, "logprobs", "between 0 and 5"),
    "logprobs_negative": ({"logprobs": "-1"}, "logprobs", "between 0 and 5"),
    "five_stop_sequences": ({"stop": ["a", "b", "c", "d", "e"]}, "stop", "at most 4"),
    "presence_penalty_above_2": ({"presence_penalty": "2.5"}, "presence_penalty", "-2 and 2"),
    "presence_penalty_below_minus_2": (
        {"presence_penalty": "-3"},
        "presence_penalty",
        "-2 and 2",
    ),
    "frequency_penalty_above_2": ({"frequency_penalty": "9"}, "frequency_penalty", "-2 and 2"),
    "frequency_penalty_below_minus_2": (
        {"frequency_penalty": "-2.5"},
        "frequency_penalty",
        "-2 and 2",
    ),
    "best_of_below_n": ({**STREAM_OFF, "n": "3", "best_of": "2"}, "best_of", "greater than n (3)"),
    "best_of_equal_to_n": (
        {**STREAM_OFF, "n": "3", "best_of": "3"},
        "best_of",
        "greater than n (3)",
    ),
    "best_of_above_20": ({**STREAM_OFF, "best_of": "25"}, "best_of", "between 0 and 20"),
    "best_of_with_stream": ({"best_of": "2"}, "best_of", "cannot be used with stream"),
    "logit_bias_token_not_integer": (
        {"logit_bias_token": ["hello"], "logit_bias_bias": ["1"]},
        "logit_bias",
        "'hello' is not a whole number",
    ),
    "logit_bias_above_100": (
        {"logit_bias_token": ["50256"], "logit_bias_bias": ["101"]},
        "logit_bias",
        "between -100 and 100",
    ),
    "logit_bias_below_minus_100": (
        {"logit_bias_token": ["50256"], "logit_bias_bias": ["-100.5"]},
        "logit_bias",
        "between -100 and 100",
    ),
    "max_tokens_negative": ({"max_tokens": "-5"}, "max_tokens", "between 0 and 2147483647"),
    "max_tokens_401_digits": ({"max_tokens": "9" * 401}, "max_tokens", "between 0 and 2147483647"),
    "max_tokens_not_integer": ({"max_tokens": "ten"}, "max_tokens", "whole number"),
    "seed_not_integer": ({"seed": "4.2"}, "seed", "seed must be a whole number"),
    "seed_beyond_64_bits": (
        {"seed": str(2**70)},
        "seed",
        "seed must be between -9223372036854775808 and 9223372036854775807",
    ),
    "logit_bias_fraction": (
        {"logit_bias_token": ["50256"], "logit_bias_bias": ["1.5"]},
        "logit_bias",
        "must be a whole number between -100 and 100",
    ),
    "token_array_with_floats": (
        {"prompt": "", "prompt_json": "[1, 2.5]"},
        "prompt_json",
        "integers only",
    ),
    "token_lists_with_strings": (
        {"prompt": "", "prompt_json": '[[1, 2], ["x"]]'},
        "prompt_json",
        "integers only",
    ),
    "malformed_prompt_json": (
        {"prompt": "", "prompt_json": '["unterminated'},
        "prompt_json",
        "prompt as JSON is not valid JSON",
    ),
    "malformed_extra_body": (
        {"extra_body": "{'top_k': 40}"},
        "extra_body",
        "extra body fields is not valid JSON",
    ),
    "extra_body_nan": ({"extra_body": '{"min_p": NaN}'}, "extra_body", "is not valid JSON"),
    "extra_body_not_an_object": ({"extra_body": "40"}, "extra_body", "must be a JSON object"),
    "extra_body_overriding_a_field": (
        {"extra_body": '{"max_tokens": 9999}'},
        "extra_body",
        "cannot override max_tokens",
    ),
    "include_usage_without_stream": (
        {**STREAM_OFF, "include_usage": "on"},
        "include_usage",
        "needs stream on",
    ),
    "missing_model": ({"model": ""}, "model", "model is required"),
}


def without_unset(message):
    return {key: value for key, value in message.items() if value is not None}


@pytest.mark.parametrize(
    "fields, field, error", list(INVALID_RUNS.values()), ids=list(INVALID_RUNS)
)
async def test_an_invalid_run_gets_the_fields_error_and_never_reaches_upstream(
    alice_provider, upstream, alice_socket, fields, field, error
):
    message = without_unset(page_message(alice_provider, **fields))

    frames = await run_and_collect(alice_socket, message)

    assert [frame["type"] for frame in frames] == ["form.invalid"]
    assert error in " ".join(frames[0]["errors"][field])
    assert upstream.completion_requests == []
    assert await Run.objects.acount() == 0


@pytest.mark.parametrize(
    "fields, field, error",
    [
        ({"max_tokens": 10**400}, "max_tokens", "between 0 and 2147483647"),
        ({"seed": 2**70}, "seed", "between -9223372036854775808 and 9223372036854775807"),
        ({"stream": False, "n": 2, "best_of": 2}, "best_of", "greater than n (2)"),
        ({"logit_bias": {"50256": 1.5}}, "logit_bias", "whole number between -100 and 100"),
    ],
    ids=["max_tokens", "seed", "best_of", "logit_bias"],
)
async def test_json_numbers_out_of_bounds_are_refused_and_never_reach_upstream(
    alice_provider, upstream, alice_socket, fields, field, error
):
    frames = await run_and_collect(alice_socket, run_message(alice_provider, **fields))

    assert [frame["type"] for frame in frames] == ["form.invalid"]
    assert error in " ".join(frames[0]["errors"][field])
    assert upstream.completion_requests == []


async def test_another_users_provider_is_rejected(alice, bob_provider, upstream, alice_socket):
    frames = await run_and_collect(alice_socket, run_message(bob_provider, prompt="x"))

    assert frames[0]["type"] == "form.invalid"
    assert frames[0]["errors"]["provider"] == ["Choose one of your providers."]
    assert upstream.completion_requests == []
    assert await Run.objects.acount() == 0


async def test_all_errors_are_reported_at_once(alice_provider, upstream, alice_socket):
    message = page_message(alice_provider, temperature="3", top_p="2", n="0")

    frames = await run_and_collect(alice_socket, message)

    assert set(frames[0]["errors"]) == {"temperature", "top_p", "n"}


async def test_the_socket_runs_again_after_an_invalid_request(
    alice_provider, upstream, alice_socket
):
    await run_and_collect(alice_socket, page_message(alice_provider, temperature="3"))

    frames = await run_and_collect(alice_socket, page_message(alice_provider))

    assert frames[-1]["type"] == "run.finished"
    assert frames[-1]["status"] == "completed"
    assert len(upstream.completion_requests) == 1
