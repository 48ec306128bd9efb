"""Scores of a dataset run's outputs against each row's `expected` column, and their summary.

- exact: the output, trimmed of white space at both ends, equals `expected`, trimmed too;
- contains: `expected`, trimmed, appears in the output;
- regex: `expected` is a Python regular expression found in the output (searched with the
  regex package, whose syntax is re's, for at most REGEX_SECONDS: a pattern that backtracks
  without end must not stall the worker).

All are case-sensitive. With n > 1 choices a row passes a score when any of its choices
does (pass@n). Rows without an `expected` column have no scores. A row that failed has no
scores either: the summary counts it among the failed, not as a miss.
"""

import math
from dataclasses import dataclass

import regex

SCORES = ("exact", "contains", "regex")
# Numbers, with the run's "score the log-probability of expected" (likelihood.py): the
# log-probability of `expected` after the prompt, and its per-token perplexity.
LIKELIHOOD_SCORES = ("expected_logprob", "expected_perplexity")
# A longer pattern is no score: the regex is matched in the worker.
MAX_PATTERN_CHARS = 1000
# How long one row's search may take, over all its choices; past it, the row has no regex
# score (as for a pattern that is not valid).
REGEX_SECONDS = 0.5


def _regex(pattern: str, texts: list[str]) -> bool | None:
    if len(pattern) > MAX_PATTERN_CHARS:
        return None
    try:
        compiled = regex.compile(pattern)
        return any(compiled.search(text, timeout=REGEX_SECONDS) for text in texts)
    except (regex.error, TimeoutError):
        return None


def score(texts: list[str], expected: str | None) -> dict:
    """The scores of a row's choices' texts; {} when the dataset has no `expected`.

    regex is None when `expected` is no valid pattern (or longer than MAX_PATTERN_CHARS), or
    its search took longer than REGEX_SECONDS.
    """
    if expected is None:
        return {}
    wanted = expected.strip()
    return {
        "exact": any(text.strip() == wanted for text in texts),
        "contains": any(wanted in text for text in texts),
        "regex": _regex(expected, texts),
    }


@dataclass
class Summary:
    name: str
    scored: int
    # Rows that pass; None for a score that is a number, not a pass or a miss.
    passed: int | None
    mean: float | None
    # The standard deviation (population): for 0/1 outcomes, sqrt(mean * (1 - mean)).
    spread: float | None


def summarize(scores: list[dict]) -> list[Summary]:
    """Each score's mean and spread over the rows that have it."""
    summaries = []
    for name in (*SCORES, *LIKELIHOOD_SCORES):
        values = [s[name] for s in scores if s.get(name) is not None]
        if not values:
            continue
        mean = sum(values) / len(values)
        spread = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
        passed = sum(values) if name in SCORES else None
        summaries.append(Summary(name, len(values), passed, mean, spread))
    return summaries
