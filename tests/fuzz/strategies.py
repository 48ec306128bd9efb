"""Hypothesis strategies for hostile input: any JSON, any frame, any value for any field."""

from hypothesis import strategies as st

from playground.completions.forms import CompletionForm

# Every name the completion form reads, the page's list fields, and the message's own keys.
FIELD_NAMES = sorted(
    {*CompletionForm.base_fields, "logit_bias_token", "logit_bias_bias", "session", "HEADERS"}
)
ACTIONS = ["run", "stop", "live.start", "live.stop"]

# Text a browser can send: any character but a lone surrogate, which UTF-8 cannot carry.
text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)

# Ids as clients may write them: str.isdigit() takes all of these, int() or the database not.
id_text = st.one_of(
    st.integers(min_value=0, max_value=2**70).map(str),
    st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=4),
    st.sampled_from(["9" * 5000, "²", "١٢", "0"]),
)

# Strings a form field might nearly accept: numbers, ids, JSON, escapes, odd digits.
field_text = st.one_of(
    text,
    id_text,
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats().map(str),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "1",
            "-1",
            "on",
            "off",
            "true",
            "null",
            "NaN",
            "inf",
            "1e400",
            "²",
            "١٢",
            "[]",
            "{}",
            "[1, 2]",
            '["a"]',
            "[[1], []]",
            '{"top_k": 40}',
            '{"model": "x"}',
            "\\n",
            "\\",
            "\\u0000",
            "\x00",
            "9" * 30,
            "0x10",
            "1_000",
            " 7 ",
        ]
    ),
    # Nested past Python's recursion limit: a recursive parser or walker would crash on it.
    st.sampled_from(["[" * 5000, "[" * 5000 + "]" * 5000, '{"a": ' * 5000]),
)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    field_text,
)

json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(text, children, max_size=5),
    max_leaves=20,
)


def _nested(depth: int, make) -> object:
    value = make(None)
    for _ in range(depth):
        value = make(value)
    return value


# Nested past Python's recursion limit, which no generated value reaches by chance.
deep_json = st.sampled_from(
    [_nested(5000, lambda v: [v]), _nested(5000, lambda v: {"a": v}), _nested(40, lambda v: [v])]
)

# A value for one field: what the page sends (strings, lists of strings) or any JSON.
field_values = st.one_of(field_text, st.lists(field_text, max_size=6), json_values, deep_json)


def form_posts(max_values: int) -> st.SearchStrategy[dict]:
    """A form as posted: any of its fields, each with up to max_values strings."""
    values = st.lists(field_text, max_size=max_values)
    return st.fixed_dictionaries({}, optional=dict.fromkeys(FIELD_NAMES, values))


def messages_with(action) -> st.SearchStrategy[dict]:
    """A message for an action, every field of the form possibly there with any value."""
    return st.fixed_dictionaries(
        {"action": action},
        optional={name: field_values for name in FIELD_NAMES} | {"type": json_values},
    )


socket_messages = st.one_of(
    json_values,
    deep_json,
    st.dictionaries(text, json_values, max_size=6),
    messages_with(st.sampled_from(ACTIONS)),
    messages_with(json_values),
    messages_with(st.just("run")),
)
