"""The provider form's rules for base URLs, keys and extra headers."""

import json

import pytest

from playground.providers.forms import ProviderForm
from playground.providers.models import AuthStyle

from ..factories import fake_api_key

pytestmark = pytest.mark.django_db


def provider_form(**fields):
    data = {
        "name": "Proxy",
        "base_url": "https://proxy.example/v1",
        "auth_style": AuthStyle.BEARER,
        "api_key": "",
        "extra_headers": "",
        "default_model": "",
    }
    data.update(fields)
    return ProviderForm(data)


def error_of(form, field="extra_headers") -> str:
    assert not form.is_valid()
    return " ".join(form.errors[field])


def test_it_accepts_openai_organization_and_project_headers():
    form = provider_form(extra_headers='{"OpenAI-Organization": "org-1", "OpenAI-Project": "p"}')

    assert form.is_valid(), form.errors
    assert form.cleaned_data["extra_headers"] == {
        "OpenAI-Organization": "org-1",
        "OpenAI-Project": "p",
    }


def test_it_strips_the_trailing_slash_of_the_base_url():
    form = provider_form(base_url="http://127.0.0.1:8080/v1/")

    assert form.is_valid()
    assert form.cleaned_data["base_url"] == "http://127.0.0.1:8080/v1"


def test_it_rejects_a_base_url_that_is_not_http():
    form = provider_form(base_url="ftp://proxy.example/v1")

    assert error_of(form, "base_url") == "The base URL must start with http:// or https://."


def test_it_explains_malformed_header_json():
    form = provider_form(extra_headers='{"OpenAI-Organization": }')

    assert error_of(form).startswith("Extra headers are not valid JSON:")


@pytest.mark.parametrize(
    "text", ["9" * 5000, "[" * 100_000], ids=["integer_of_5000_digits", "nested_too_deeply"]
)
def test_it_refuses_json_that_python_cannot_read(text):
    # Found by tests/fuzz: these raise ValueError or RecursionError, not a JSONDecodeError.
    form = provider_form(extra_headers=text)

    assert error_of(form) == "Extra headers are not valid JSON."


@pytest.mark.parametrize("text", ['["OpenAI-Organization"]', '{"X-Count": 3}', '"org-1"'])
def test_it_rejects_headers_that_are_not_an_object_of_strings(text):
    form = provider_form(extra_headers=text)

    assert error_of(form) == "extra headers must be an object of strings to strings."


@pytest.mark.parametrize("name", ["", "Bad Name", "X:Y", "X\nY", "X(Y)", "Prüfung"])
def test_it_rejects_invalid_header_names(name):
    form = provider_form(extra_headers=json.dumps({name: "v"}))

    assert "is not a valid header." in error_of(form)


@pytest.mark.parametrize("value", ["line\r\nInjected: yes", "org-é", "nul\x00"])
def test_it_rejects_header_values_that_cannot_be_sent(value):
    form = provider_form(extra_headers=json.dumps({"OpenAI-Organization": value}))

    assert error_of(form) == (
        "The value of the OpenAI-Organization header must be printable ASCII text."
    )


@pytest.mark.parametrize("name", ["Authorization", "api-key", "API-Key"])
def test_it_rejects_the_key_as_an_extra_header(name):
    form = provider_form(extra_headers=f'{{"{name}": "Bearer sk-x"}}')

    assert error_of(form) == f"Put the key in the API key field, not in a {name} header."


def test_it_strips_whitespace_around_a_pasted_key():
    pasted = fake_api_key("pasted")
    form = provider_form(api_key=f"  {pasted}\n")

    assert form.is_valid()
    assert form.save().api_key == pasted


def test_it_rejects_a_key_that_cannot_be_sent():
    form = provider_form(api_key="sk-abc…")

    assert error_of(form, "api_key") == "The API key must be printable ASCII text."
