"""Variables in a prompt: `{{name}}`, found and filled here and nowhere else.

The syntax, which the README repeats:

- a variable is `{{name}}`, where the name is a letter or `_`, then letters, digits or `_`
  (ASCII: `[A-Za-z_][A-Za-z0-9_]*`); spaces and tabs inside the braces are allowed, so
  `{{ city }}` is `city` too. Names are case-sensitive.
- anything else between double braces (`{{}}`, `{{1st}}`, `{{a b}}`) is text, sent as typed;
- `{{{{` is a literal `{{`: write `{{{{city}}` to send the text `{{city}}`.

A variable with no value, or a blank one, is an error rather than an empty string: a
prompt that holds a template as its content (Jinja, Handlebars) would otherwise lose its
braces without a word. The error says how to write the braces as text.

The page's editor (static/variables.js) finds the names with the same pattern, to show a
value box for each; the server fills them (forms.CompletionForm, for runs), so what is
sent, and stored in the run's request body, is the filled text.
"""

import json
import re

NAME = r"[A-Za-z_][A-Za-z0-9_]*"
# The escape first, so that `{{{{city}}` is the literal `{{` and then `city}}`.
_TOKEN = re.compile(r"(?P<escape>\{\{\{\{)|\{\{[ \t]*(?P<name>" + NAME + r")[ \t]*\}\}")
_NAME = re.compile(NAME)


class MissingValues(ValueError):
    """Variables of the text that have no value; the message names them."""

    def __init__(self, missing: list[str]):
        self.missing = missing
        listed = ", ".join(missing)
        super().__init__(
            f"No value for {listed}: give each a value, or write {{{{{{{{ to send {{{{ as text."
        )


def is_name(text: str) -> bool:
    return _NAME.fullmatch(text) is not None


def names(*texts: str) -> list[str]:
    """The variables of the texts, each once, in the order they first appear."""
    found: dict[str, None] = {}
    for text in texts:
        for match in _TOKEN.finditer(text):
            if match["name"]:
                found.setdefault(match["name"])
    return list(found)


def fill(text: str, values: dict[str, str]) -> str:
    """The text with each variable replaced by its value (values are not searched again),
    and each `{{{{` by `{{`. MissingValues names the variables that have no value, or a
    blank one."""
    missing = [name for name in names(text) if not values.get(name)]
    if missing:
        raise MissingValues(missing)

    def replace(match: re.Match) -> str:
        return "{{" if match["escape"] else values[match["name"]]

    return _TOKEN.sub(replace, text)


def parse_values(text: str) -> dict[str, str]:
    """The page's posted values (a JSON object of name -> text), read strictly; ValueError
    says what is wrong. Blank text is no values."""
    if not text.strip():
        return {}
    try:
        values = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"they are not valid JSON: {exc.msg}") from None
    if not isinstance(values, dict):
        raise ValueError("they must be a JSON object of name to text")
    for name, value in values.items():
        if not is_name(name):
            raise ValueError(
                f"{name!r} is not a variable name (a letter or _, then letters, digits or _)"
            )
        if not isinstance(value, str):
            raise ValueError(f"the value of {name} must be text")
    return values
