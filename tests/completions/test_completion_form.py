"""The completion form's rules, checked on the form the page and the socket share."""

import pytest
from django import forms
from django.utils.datastructures import MultiValueDict

from playground.completions import parameters
from playground.completions.forms import CompletionForm, parameter_field
from playground.completions.request_body import build_request_body

from ..factories import make_provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider(alice):
    return make_provider(owner=alice)


def completion_form(user, provider, **fields):
    data = {"provider": str(provider.pk), "model": "fake-model", "prompt": "Hi", "stream": "on"}
    data.update(fields)
    lists = {k: v if isinstance(v, list) else [v] for k, v in data.items() if v is not None}
    return CompletionForm(MultiValueDict(lists), user=user)


def errors_of(form, field) -> str:
    assert not form.is_valid()
    return " ".join(form.errors.get(field, []))


def test_a_minimal_form_is_valid(alice, provider):
    form = completion_form(alice, provider)

    assert form.is_valid(), form.errors
    assert build_request_body(form.cleaned_data) == {
        "model": "fake-model",
        "prompt": "Hi",
        "stream": True,
    }


@pytest.mark.parametrize("value", ["0", "2", "1.35"])
def test_it_accepts_temperature_from_0_to_2(alice, provider, value):
    assert completion_form(alice, provider, temperature=value).is_valid()


def test_it_rejects_temperature_above_2(alice, provider):
    form = completion_form(alice, provider, temperature="2.01")

    assert errors_of(form, "temperature") == "temperature must be between 0 and 2."


def test_it_rejects_negative_temperature(alice, provider):
    form = completion_form(alice, provider, temperature="-0.5")

    assert errors_of(form, "temperature") == "temperature must be between 0 and 2."


@pytest.mark.parametrize("value", ["hot", "nan", "inf"])
def test_it_rejects_temperature_that_is_not_a_finite_number(alice, provider, value):
    form = completion_form(alice, provider, temperature=value)

    assert "temperature must be a number between 0 and 2" in errors_of(form, "temperature")


@pytest.mark.parametrize("value", ["0", "1", "0.5"])
def test_it_accepts_top_p_from_0_to_1(alice, provider, value):
    assert completion_form(alice, provider, top_p=value).is_valid()


@pytest.mark.parametrize("value", ["1.01", "-0.01"])
def test_it_rejects_top_p_outside_0_to_1(alice, provider, value):
    form = completion_form(alice, provider, top_p=value)

    assert errors_of(form, "top_p") == "top_p must be between 0 and 1."


@pytest.mark.parametrize("value", ["1", "128"])
def test_it_accepts_n_from_1_to_128(alice, provider, value):
    assert completion_form(alice, provider, n=value).is_valid()


@pytest.mark.parametrize("value", ["0", "129", "-1"])
def test_it_rejects_n_outside_1_to_128(alice, provider, value):
    form = completion_form(alice, provider, n=value)

    assert errors_of(form, "n") == "n must be between 1 and 128."


def test_it_rejects_fractional_n(alice, provider):
    form = completion_form(alice, provider, n="1.5")

    assert errors_of(form, "n") == "n must be a whole number between 1 and 128."


@pytest.mark.parametrize("value", ["0", "5"])
def test_it_accepts_logprobs_from_0_to_5(alice, provider, value):
    assert completion_form(alice, provider, logprobs=value).is_valid()


@pytest.mark.parametrize("value", ["6", "-1"])
def test_it_rejects_logprobs_outside_0_to_5(alice, provider, value):
    form = completion_form(alice, provider, logprobs=value)

    assert errors_of(form, "logprobs") == "logprobs must be between 0 and 5."


def test_it_accepts_four_stop_sequences(alice, provider):
    form = completion_form(alice, provider, stop=["a", "b", "c", "d"])

    assert form.is_valid()
    assert form.cleaned_data["stop"] == ["a", "b", "c", "d"]


def test_it_rejects_more_than_four_stop_sequences(alice, provider):
    form = completion_form(alice, provider, stop=["a", "b", "c", "d", "e"])

    assert errors_of(form, "stop") == "stop takes at most 4 sequences; 5 were given."


def test_it_rejects_an_empty_stop_sequence():
    with pytest.raises(forms.ValidationError, match="stop sequences may not be empty"):
        parameter_field(parameters.get("stop")).clean(["END", ""])


def test_it_ignores_blank_stop_inputs(alice, provider):
    form = completion_form(alice, provider, stop=["", "END", "", ""])

    assert form.is_valid()
    assert form.cleaned_data["stop"] == ["END"]


def test_it_decodes_stop_escapes(alice, provider):
    form = completion_form(alice, provider, stop=["\\n", "\\t", "\\\\n", "\\u00e9"])

    assert form.is_valid()
    assert form.cleaned_data["stop"] == ["\n", "\t", "\\n", "é"]


@pytest.mark.parametrize("field", ["presence_penalty", "frequency_penalty"])
@pytest.mark.parametrize("value", ["-2", "2", "0.3"])
def test_it_accepts_penalties_from_minus_2_to_2(alice, provider, field, value):
    assert completion_form(alice, provider, **{field: value}).is_valid()


@pytest.mark.parametrize("field", ["presence_penalty", "frequency_penalty"])
@pytest.mark.parametrize("value", ["-2.1", "2.1"])
def test_it_rejects_penalties_outside_minus_2_to_2(alice, provider, field, value):
    form = completion_form(alice, provider, **{field: value})

    assert errors_of(form, field) == f"{field} must be between -2 and 2."


def test_it_accepts_best_of_greater_than_n_with_stream_off(alice, provider):
    form = completion_form(alice, provider, stream=None, n="3", best_of="4")

    assert form.is_valid(), form.errors
    assert build_request_body(form.cleaned_data)["best_of"] == 4


def test_it_rejects_best_of_equal_to_n(alice, provider):
    # OpenAI's schema: "best_of must be greater than n" when both are set.
    form = completion_form(alice, provider, stream=None, n="3", best_of="3")

    assert errors_of(form, "best_of") == "best_of must be greater than n (3)."


def test_it_rejects_best_of_below_n(alice, provider):
    form = completion_form(alice, provider, stream=None, n="3", best_of="2")

    assert errors_of(form, "best_of") == "best_of must be greater than n (3)."


@pytest.mark.parametrize("value", ["0", "1", "20"])
def test_it_accepts_best_of_from_0_to_20_without_n(alice, provider, value):
    assert completion_form(alice, provider, stream=None, best_of=value).is_valid()


@pytest.mark.parametrize("value", ["21", "25", "-1"])
def test_it_rejects_best_of_outside_0_to_20(alice, provider, value):
    form = completion_form(alice, provider, stream=None, best_of=value)

    assert errors_of(form, "best_of") == "best_of must be between 0 and 20."


def test_it_rejects_best_of_with_stream(alice, provider):
    form = completion_form(alice, provider, best_of="2")

    assert errors_of(form, "best_of") == "best_of cannot be used with stream: turn stream off."


def test_it_rejects_include_usage_without_stream(alice, provider):
    form = completion_form(alice, provider, stream=None, include_usage="on")

    assert errors_of(form, "include_usage") == "include_usage needs stream on."


def logit_bias_form(user, provider, token, bias):
    return completion_form(user, provider, logit_bias_token=[token], logit_bias_bias=[bias])


def test_it_reads_logit_bias_rows_as_pairs_and_sends_an_object(alice, provider):
    form = completion_form(
        alice, provider, logit_bias_token=["50256", " 198 "], logit_bias_bias=["-100", "100"]
    )

    assert form.is_valid()
    assert form.cleaned_data["logit_bias"] == [[50256, -100], [198, 100]]
    assert build_request_body(form.cleaned_data)["logit_bias"] == {"50256": -100, "198": 100}


@pytest.mark.parametrize("token", ["abc", "1.5", "1e3"])
def test_it_rejects_logit_bias_token_ids_that_are_not_integers(alice, provider, token):
    form = logit_bias_form(alice, provider, token, "1")

    assert "is not a whole number" in errors_of(form, "logit_bias")


def test_it_rejects_a_negative_logit_bias_token_id(alice, provider):
    form = logit_bias_form(alice, provider, "-1", "1")

    assert errors_of(form, "logit_bias") == "logit_bias: token id -1 is negative."


@pytest.mark.parametrize("bias", ["100.5", "-101", "inf", "nan"])
def test_it_rejects_logit_bias_values_outside_minus_100_to_100(alice, provider, bias):
    form = logit_bias_form(alice, provider, "50256", bias)

    assert "between -100 and 100" in errors_of(form, "logit_bias")


@pytest.mark.parametrize("bias", ["lots", "1.5", "-0.5", "1e2"])
def test_it_rejects_a_logit_bias_value_that_is_not_a_whole_number(alice, provider, bias):
    form = logit_bias_form(alice, provider, "50256", bias)

    assert errors_of(form, "logit_bias") == (
        "logit_bias: the bias for token 50256 must be a whole number between -100 and 100."
    )


def test_logit_bias_values_are_integers(alice, provider):
    form = completion_form(
        alice, provider, logit_bias_token=["50256", "198"], logit_bias_bias=["-100.0", "5"]
    )

    assert form.is_valid(), form.errors
    bias = build_request_body(form.cleaned_data)["logit_bias"]
    assert bias == {"50256": -100, "198": 5}
    assert all(type(value) is int for value in bias.values())


def test_it_rejects_a_logit_bias_token_id_beyond_32_bits(alice, provider):
    form = logit_bias_form(alice, provider, str(2**31), "1")

    assert errors_of(form, "logit_bias") == (
        "logit_bias: token id 2147483648 is too large (at most 2147483647)."
    )


def test_it_rejects_a_logit_bias_row_without_a_value(alice, provider):
    form = logit_bias_form(alice, provider, "50256", "")

    assert "token 50256" in errors_of(form, "logit_bias")


def test_it_accepts_max_tokens_zero(alice, provider):
    form = completion_form(alice, provider, max_tokens="0")

    assert form.is_valid()
    assert build_request_body(form.cleaned_data)["max_tokens"] == 0


def test_it_rejects_negative_max_tokens(alice, provider):
    form = completion_form(alice, provider, max_tokens="-1")

    assert errors_of(form, "max_tokens") == "max_tokens must be between 0 and 2147483647."


def test_it_rejects_fractional_max_tokens(alice, provider):
    form = completion_form(alice, provider, max_tokens="10.5")

    assert errors_of(form, "max_tokens") == (
        "max_tokens must be a whole number between 0 and 2147483647."
    )


@pytest.mark.parametrize("value", [str(2**31), "9" * 401])
def test_it_rejects_max_tokens_beyond_32_bits(alice, provider, value):
    form = completion_form(alice, provider, max_tokens=value)

    assert "max_tokens must be" in errors_of(form, "max_tokens")
    assert "between 0 and 2147483647" in errors_of(form, "max_tokens")


def test_it_accepts_the_largest_max_tokens(alice, provider):
    form = completion_form(alice, provider, max_tokens=str(2**31 - 1))

    assert form.is_valid(), form.errors


@pytest.mark.parametrize("value", ["1.5", "seven"])
def test_it_rejects_a_seed_that_is_not_a_whole_number(alice, provider, value):
    form = completion_form(alice, provider, seed=value)

    assert errors_of(form, "seed") == (
        "seed must be a whole number between -9223372036854775808 and 9223372036854775807."
    )


@pytest.mark.parametrize("value", [2**70, 2**63, -(2**63) - 1])
def test_it_rejects_a_seed_beyond_64_bits(alice, provider, value):
    form = completion_form(alice, provider, seed=str(value))

    assert errors_of(form, "seed") == (
        "seed must be between -9223372036854775808 and 9223372036854775807."
    )


@pytest.mark.parametrize("value", [2**63 - 1, -(2**63)])
def test_it_accepts_a_seed_at_the_64_bit_bounds(alice, provider, value):
    form = completion_form(alice, provider, seed=str(value))

    assert form.is_valid(), form.errors
    assert build_request_body(form.cleaned_data)["seed"] == value


def test_it_accepts_a_negative_seed(alice, provider):
    form = completion_form(alice, provider, seed="-5")

    assert form.is_valid()
    assert form.cleaned_data["seed"] == -5


@pytest.mark.parametrize(
    "text, prompt",
    [
        ('["a", "b"]', ["a", "b"]),
        ("[1, 2, 3]", [1, 2, 3]),
        ("[[1, 2], [3]]", [[1, 2], [3]]),
    ],
)
def test_it_accepts_the_three_json_prompt_shapes(alice, provider, text, prompt):
    form = completion_form(alice, provider, prompt="", prompt_json=text)

    assert form.is_valid()
    assert build_request_body(form.cleaned_data)["prompt"] == prompt


@pytest.mark.parametrize("text", ["[1, 2.5]", "[true, 1]", "[[1, 2], [3, 4.0]]", "[[1, null]]"])
def test_it_rejects_token_arrays_that_are_not_all_integers(alice, provider, text):
    form = completion_form(alice, provider, prompt="", prompt_json=text)

    assert errors_of(form, "prompt_json") == "Token arrays may contain integers only."


@pytest.mark.parametrize("text", ['{"a": 1}', '"text"', "[]", '["a", 1]', "[[]]"])
def test_it_rejects_json_prompts_of_another_shape(alice, provider, text):
    form = completion_form(alice, provider, prompt="", prompt_json=text)

    assert "must be a list of strings, a list of token ids" in errors_of(form, "prompt_json")


def test_it_explains_malformed_json_in_the_prompt(alice, provider):
    form = completion_form(alice, provider, prompt="", prompt_json="[1, 2")

    assert errors_of(form, "prompt_json").startswith("prompt as JSON is not valid JSON:")
    assert "line 1" in errors_of(form, "prompt_json")


def test_it_rejects_both_a_prompt_and_a_json_prompt(alice, provider):
    form = completion_form(alice, provider, prompt="Hi", prompt_json='["a"]')

    assert "either the prompt or the JSON prompt" in errors_of(form, "prompt_json")


def test_it_explains_malformed_json_in_extra_body(alice, provider):
    form = completion_form(alice, provider, extra_body="{top_k: 40}")

    assert errors_of(form, "extra_body").startswith("extra body fields is not valid JSON:")


@pytest.mark.parametrize("text", ['{"min_p": NaN}', '{"top_k": Infinity}', '{"x": [-Infinity]}'])
def test_it_rejects_non_standard_json_numbers(alice, provider, text):
    form = completion_form(alice, provider, extra_body=text)

    assert "is not valid JSON" in errors_of(form, "extra_body")


@pytest.mark.parametrize(
    "field, text", [("extra_body", '{"min_p": 1e400}'), ("prompt_json", "[[1], [-1e999]]")]
)
def test_it_rejects_a_number_too_large_for_json(alice, provider, field, text):
    # Python reads 1e400 as infinity, which httpx would refuse to send upstream.
    form = completion_form(alice, provider, prompt="", **{field: text})

    assert "is too large a number" in errors_of(form, field)


def test_it_rejects_json_nested_too_deeply(alice, provider):
    form = completion_form(alice, provider, extra_body="[" * 100_000 + "]" * 100_000)

    assert errors_of(form, "extra_body") == "extra body fields is nested too deeply."


def test_it_rejects_extra_body_that_is_not_an_object(alice, provider):
    form = completion_form(alice, provider, extra_body='["top_k", 40]')

    assert errors_of(form, "extra_body") == "extra body fields must be a JSON object."


def test_extra_body_cannot_override_known_fields(alice, provider):
    form = completion_form(alice, provider, extra_body='{"temperature": 5, "model": "x"}')

    assert "cannot override model, temperature" in errors_of(form, "extra_body")


def test_it_requires_a_model(alice, provider):
    form = completion_form(alice, provider, model="")

    assert errors_of(form, "model") == "model is required: type or pick a model."


def test_it_accepts_a_shared_provider(alice):
    shared = make_provider(owner=None)

    assert completion_form(alice, shared).is_valid()


def test_it_rejects_another_users_provider(alice, bob):
    bobs = make_provider(owner=bob)

    form = completion_form(alice, bobs)

    assert errors_of(form, "provider") == "Choose one of your providers."


def test_it_rejects_a_provider_that_does_not_exist(alice):
    missing = make_provider(owner=alice)
    missing.delete()

    form = completion_form(alice, missing)

    assert errors_of(form, "provider") == "Choose one of your providers."


@pytest.mark.parametrize("field", ["prompt_json", "extra_body"])
def test_it_rejects_a_nul_character_inside_json(alice, alice_provider, field):
    value = '["a\\u0000b"]' if field == "prompt_json" else '{"top_k": "\\u0000"}'
    data = MultiValueDict({"provider": [alice_provider.pk], "model": ["m"], field: [value]})
    form = CompletionForm(data, user=alice)

    assert not form.is_valid()
    assert "NUL" in form.errors[field][0]
