"""The escape notation of stop sequences: what is typed and what is sent."""

import pytest

from playground.completions.escapes import decode_escapes, encode_escapes


@pytest.mark.parametrize(
    "typed, sent",
    [
        ("\\n", "\n"),
        ("\\n\\n", "\n\n"),
        ("\\t", "\t"),
        ("\\r\\n", "\r\n"),
        ("\\\\n", "\\n"),
        ("\\u00e9", "é"),
        ("\\x41", "A"),
        ("END", "END"),
        ("\\q", "\\q"),
        ("a real\nnewline", "a real\nnewline"),
    ],
)
def test_typed_escapes_decode_to_what_is_sent(typed, sent):
    assert decode_escapes(typed) == sent


@pytest.mark.parametrize("text", ["\n", "\t\\", "###\n", "\x00\x07é", "plain"])
def test_encoding_then_decoding_gives_the_text_back(text):
    assert decode_escapes(encode_escapes(text)) == text
