"""{{name}} variables: found in order, filled, escaped, and refused when they have no value."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from playground.completions import variables
from playground.completions.forms import CompletionForm
from playground.completions.messages import form_data_from_message

from ..execution.helpers import blank_post


def test_names_are_found_once_in_order_of_first_appearance():
    text = "{{b}} and {{ a }} then {{b}} and {{\tc_1\t}}"
    assert variables.names(text) == ["b", "a", "c_1"]


def test_names_are_found_across_prompt_and_suffix():
    assert variables.names("{{x}} then", " {{y}} and {{x}}") == ["x", "y"]


@pytest.mark.parametrize("text", ["{{}}", "{{1st}}", "{{a b}}", "{{ a-b }}", "{a}", "{{{{a}}"])
def test_what_is_no_variable_is_text(text):
    assert variables.names(text) == []


def test_fill_replaces_each_variable_with_its_value():
    filled = variables.fill("Capital of {{city}}? {{ city }}!", {"city": "Paris"})
    assert filled == "Capital of Paris? Paris!"


def test_values_are_not_searched_again():
    assert variables.fill("{{a}}", {"a": "{{b}}", "b": "no"}) == "{{b}}"


def test_four_braces_are_a_literal_pair():
    assert variables.fill("{{{{city}} is {{city}}", {"city": "Rome"}) == "{{city}} is Rome"


def test_a_missing_or_blank_value_is_named():
    with pytest.raises(variables.MissingValues) as raised:
        variables.fill("{{a}} {{b}} {{c}}", {"a": "x", "b": ""})
    assert raised.value.missing == ["b", "c"]
    assert "No value for b, c" in str(raised.value)
    assert "{{{{" in str(raised.value)


@given(st.text(alphabet=st.characters(blacklist_characters="{}")))
def test_text_without_braces_is_sent_as_is(text):
    assert variables.fill(text, {}) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1]", "JSON object"),
        ('{"a b": "x"}', "not a variable name"),
        ('{"a": 1}', "must be text"),
        ("{", "not valid JSON"),
    ],
)
def test_bad_values_are_refused(text, message):
    with pytest.raises(ValueError, match=message):
        variables.parse_values(text)


def form(provider, user, fill=True, **fields):
    data = {**blank_post(), "provider": str(provider.pk), "model": "m", **fields}
    return CompletionForm(form_data_from_message(data), user=user, fill_variables=fill)


def test_a_runs_form_sends_the_prompt_and_suffix_filled(alice, provider):
    run = form(
        provider,
        alice,
        prompt="Hi {{name}}",
        suffix="{{ end }}",
        variables='{"name": "Ann", "end": "."}',
    )
    assert run.is_valid(), run.errors
    assert run.cleaned_data["prompt"] == "Hi Ann"
    assert run.cleaned_data["suffix"] == "."


def test_a_runs_form_names_the_variable_without_a_value(alice, provider):
    run = form(provider, alice, prompt="Hi {{name}}", variables="")
    assert not run.is_valid()
    assert "No value for name" in run.errors["prompt"][0]


def test_the_filled_prompt_is_held_to_the_prompt_cap(alice, provider, settings):
    settings.PLAYGROUND_MAX_PROMPT_CHARS = 20
    run = form(provider, alice, prompt="{{a}}{{a}}{{a}}", variables='{"a": "123456789"}')
    assert not run.is_valid()
    assert "with its variables filled in, is too long: at most 20" in run.errors["prompt"][0]


def test_other_forms_keep_the_text_as_written(alice, provider):
    explore = form(provider, alice, fill=False, prompt="Hi {{name}}", variables="")
    assert explore.is_valid(), explore.errors
    assert explore.cleaned_data["prompt"] == "Hi {{name}}"
