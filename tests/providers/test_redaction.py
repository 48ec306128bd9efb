"""The Redactor: a provider's key and header values, plain or encoded, become labels."""

import json

import pytest

from playground.providers.models import Provider
from playground.providers.redaction import Redactor

from ..factories import fake_api_key, fake_header_value

KEY = fake_api_key("redaction")
ORGANIZATION = fake_header_value("org-")


@pytest.fixture
def redact():
    return Redactor.for_secrets(KEY, {"OpenAI-Organization": ORGANIZATION, "X-Debug": "1"})


def test_it_replaces_the_key_and_header_values_by_labels(redact):
    assert redact.text(f"key {KEY}, org {ORGANIZATION}.") == (
        "key [the API key], org [the OpenAI-Organization header]."
    )


def test_it_leaves_text_without_secrets_as_it_is(redact):
    assert redact.text("Rate limit: 10 &amp; 20% per 1 s \\n") == (
        "Rate limit: 10 &amp; 20% per 1 s \\n"
    )


def test_a_value_too_short_to_be_a_secret_is_left(redact):
    assert redact.text("HTTP 401 on try 1") == "HTTP 401 on try 1"


def test_case_does_not_hide_a_secret(redact):
    assert redact.text(f"org {ORGANIZATION.upper()}") == "org [the OpenAI-Organization header]"


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: "".join(f"&#{ord(c)};" for c in s),
        lambda s: "".join(f"&#x{ord(c):x};" for c in s),
        lambda s: s.replace("-", "&#45;").replace("k", "&#107;"),
        lambda s: "".join(f"\\u{ord(c):04x}" for c in s),
        lambda s: "".join(f"\\x{ord(c):02x}" for c in s),
        lambda s: s.replace("-", "%2D"),
        lambda s: "".join(f"&amp;#{ord(c)};" for c in s),
        lambda s: s.replace("S", "&#x53;").replace("-", "\\u002d"),
    ],
    ids=["decimal", "hex", "some", "json", "python", "percent", "twice", "mixed"],
)
def test_an_encoded_secret_is_found(redact, encode):
    assert redact.text(f"Incorrect API key provided: {encode(KEY)}.") == (
        "Incorrect API key provided: [the API key]."
    )


def test_named_entities_are_decoded():
    redact = Redactor.for_secrets("proj_abc_123", {})

    assert redact.text("key proj&lowbar;abc&UnderBar;123") == "key [the API key]"


def test_a_secret_inside_another_is_replaced_whole():
    redact = Redactor.for_secrets("abcd1234", {"X-Token": "abcd1234-more"})

    assert redact.text("abcd1234-more abcd1234") == "[the X-Token header] [the API key]"


def test_json_values_are_redacted_keys_and_strings_alike(redact):
    data = {"choices": [{"text": KEY, "finish_reason": None}], ORGANIZATION: 1}

    assert redact.json(data) == {
        "choices": [{"text": "[the API key]", "finish_reason": None}],
        "[the OpenAI-Organization header]": 1,
    }


def test_a_quick_test_lets_plain_chunks_through(redact):
    assert not redact.might_hide_a_secret('{"choices": [{"text": " world"}]}')
    assert redact.might_hide_a_secret(f'{{"choices": [{{"text": "{KEY}"}}]}}')
    assert redact.might_hide_a_secret('{"text": "\\u0073k"}')


def test_a_provider_without_secrets_redacts_nothing():
    redact = Provider(api_key="", extra_headers="").redactor()

    assert not redact
    assert redact.text("anything &#115;") == "anything &#115;"


def test_a_providers_redactor_holds_its_key_and_header_values():
    provider = Provider(api_key=KEY, extra_headers=json.dumps({"X-Gateway-Token": ORGANIZATION}))

    assert provider.redactor().text(f"{KEY}/{ORGANIZATION}") == (
        "[the API key]/[the X-Gateway-Token header]"
    )
