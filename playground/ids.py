"""Reads a database id out of what a client sent, without trusting str.isdigit()."""

from playground.json_values import is_integer

# The largest id a 64-bit primary key holds.
MAX_ID = 2**63 - 1


def parse_id(value) -> int | None:
    """The id, or None when the value is no id at all.

    str.isdigit() also takes "²" and other digits that int() refuses, and int() refuses
    thousands of digits: either would crash a lookup instead of finding nothing.
    """
    if is_integer(value):
        value = str(value)
    if not (isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19):
        return None
    number = int(value)
    return number if number <= MAX_ID else None
