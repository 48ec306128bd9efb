"""Redaction: the one way text from a provider is cleaned of that provider's secrets.

A provider may quote back what it was sent: OpenAI's "Incorrect API key provided: …" and
"No such organization: org-…", or a gateway echoing its token header. Anything a provider
sends can end up in a run's error, its raw response, a model list, and from there in
pages, exports, share pages and forks; so client.py passes every piece of provider text
through a Redactor holding all of the provider's secrets (its key and every extra-header
value) as it arrives, before it is cut short for display.
"""

import html
import json
import re
from collections.abc import Mapping
from urllib.parse import unquote

# A header value this short ("1", "on", "v2") is a flag, not a secret, and replacing it
# would garble every number of a message; keys are redacted whatever their length.
SHORTEST_HEADER_SECRET = 4

# \u0044-style escapes (JSON, JavaScript) and \x44 ones (Python reprs) of ASCII characters:
# the key and header values are printable ASCII (forms.py), so only those can hide them.
_ESCAPE = re.compile(r"\\(?:u00([0-7][0-9a-fA-F])|x([0-7][0-9a-fA-F]))")
# Bounds the decoding of text encoded several times over (&amp;#68;, say).
_DECODING_ROUNDS = 3


def _unescape(match: re.Match) -> str:
    return chr(int(match[1] or match[2], 16))


def _decoded(text: str) -> str:
    """text with HTML character references, \\u and \\x escapes and %XX decoded."""
    for _ in range(_DECODING_ROUNDS):
        decoded = text
        if "&" in decoded:
            decoded = html.unescape(decoded)
        if "\\" in decoded:
            decoded = _ESCAPE.sub(_unescape, decoded)
        if "%" in decoded:
            decoded = unquote(decoded, errors="replace")
        if decoded == text:
            break
        text = decoded
    return text


# In JSON text, where an encoded secret may hide: an escaped backslash or slash, a \u00XX
# escape, a character reference or a %XX. A newline's \n is none of them.
_JSON_MARKERS = ("&", "%", "\\\\", "\\/", "\\u00")


class Redactor:
    """Replaces each secret in a text by a label naming it, such as "[the API key]".

    Matching ignores case, and looks at the text decoded too (HTML character references,
    \\u and \\x escapes, %XX): a key written as &#115;&#107;… is still the key.
    """

    def __init__(self, secrets: Mapping[str, str]):
        """secrets: each secret value → the label that replaces it."""
        self._labels = {value.lower(): label for value, label in secrets.items() if value}
        # Longest first, so a secret that contains another is replaced whole.
        self._values = sorted(self._labels, key=len, reverse=True)
        self._pattern = (
            re.compile("|".join(re.escape(v) for v in self._values), re.IGNORECASE)
            if self._values
            else None
        )
        # The secrets as they appear in JSON text (a quote or a backslash is escaped there).
        self._in_json = [json.dumps(v)[1:-1] for v in self._values]

    @classmethod
    def for_secrets(cls, api_key: str, headers: Mapping[str, str]) -> "Redactor":
        secrets = {
            value: f"[the {name} header]"
            for name, value in headers.items()
            if len(value) >= SHORTEST_HEADER_SECRET
        }
        if api_key:
            secrets[api_key] = "[the API key]"
        return cls(secrets)

    def __bool__(self) -> bool:
        return self._pattern is not None

    def _label(self, match: re.Match) -> str:
        return self._labels.get(match[0].lower(), "[a secret]")

    @staticmethod
    def _holds(text: str, values: list[str]) -> bool:
        # Plain substring tests in a loop: a case-insensitive regex, or a generator, costs
        # several times as much, and this runs for every chunk of every stream.
        lowered = text.lower()
        for value in values:  # noqa: SIM110 (see above)
            if value in lowered:
                return True
        return False

    def text(self, text: str) -> str:
        """text without any secret, nor any encoded secret."""
        if self._pattern is None or not text:
            return text
        decoded = _decoded(text)
        if decoded == text:
            return self._pattern.sub(self._label, text) if self._holds(text, self._values) else text
        if len(self._pattern.findall(decoded)) > len(self._pattern.findall(text)):
            # A secret hid behind an encoding: show the decoded text, with it replaced.
            text = decoded
        return self._pattern.sub(self._label, text)

    def might_hide_a_secret(self, json_text: str) -> bool:
        """False when JSON text can hold no secret, plain or encoded: a quick test per chunk."""
        if self._pattern is None:
            return False
        for marker in _JSON_MARKERS:
            if marker in json_text:
                return True
        return self._holds(json_text, self._in_json)

    def json(self, value):
        """A copy of a parsed JSON value, each of its strings (keys too) redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(k): self.json(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.json(item) for item in value]
        return value
