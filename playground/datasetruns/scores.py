"""Scores of a dataset run's outputs against each row's `expected` column, and their summary.

- exact: the output, trimmed of white space at both ends, equals `expected`, trimmed too;
- contains: `expected`, trimmed, appears in the output;
- regex: `expected` is a Python regular expression (re.search) found in the output.

All are case-sensitive. With n > 1 choices a row passes a score when any of its choices
does (pass@n). Rows without an `expected` column have no scores. A row that failed has no
scores either: the summary counts it among the failed, not as a miss.
"""

import math
import re
from dataclasses import dataclass

SCORES = ("exact", "contains", "regex")
# Numbers, with the run's "score the log-probability of expected" (likelihood.py): the
# log-probability of `expected` after the prompt, and its per-token perplexity.
LIKELIHOOD_SCORES = ("expected_logprob", "expected_perplexity")
# A longer pattern is no score: the regex is matched in the worker, by Python's re.
MAX_PATTERN_CHARS = 1000


def _regex(pattern: str, texts: list[str]) -> bool | None:
    if len(pattern) > MAX_PATTERN_CHARS:
        return None
    try:
        compiled = re.compile(pattern)
    except re.error:
        return None
    return any(compiled.search(text) for text in texts)


def score(texts: list[str], expected: str | None) -> dict:
    """The scores of a row's choices' texts; {} when the dataset has no `expected`.

    regex is None when `expected` is no valid pattern (or longer than MAX_PATTERN_CHARS).
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
