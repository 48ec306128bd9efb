"""JSON values as Python's json module reads them, and the strict reading the app uses.

Python's json takes NaN, Infinity and -Infinity, and reads 1e400 as infinity; none of them
is JSON: providers and PostgreSQL refuse them, and httpx will not send them. And a bool is
an int to Python, but true is no number to JSON (nor to a provider's token id).
"""

import json
import math


def is_integer(value) -> bool:
    """A JSON integer: an int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value) -> bool:
    """A JSON number: an int or a float, never a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def reject_constant(name: str):
    """json's parse_constant: NaN, Infinity and -Infinity are refused, by name."""
    raise ValueError(f"{name} is not a JSON number")


def finite_float(text: str) -> float:
    """json's parse_float: a number too large for a float (1e400) is refused."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is too large a number")
    return value


def strict_loads(text: str):
    """json.loads, refusing what is not JSON (ValueError names it; json.JSONDecodeError is one).

    A value nested past Python's recursion limit raises RecursionError: callers say so.
    """
    return json.loads(text, parse_constant=reject_constant, parse_float=finite_float)
