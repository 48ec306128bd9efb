"""Percentiles, and a metric's median and spread over a figure's repetitions."""

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0 to 100), interpolated between ranks; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def max_in_window(times_us: Sequence[int], window_us: int) -> int:
    """The most events inside any window of window_us (times sorted)."""
    best, start = 0, 0
    for end, time in enumerate(times_us):
        while time - times_us[start] > window_us:
            start += 1
        best = max(best, end - start + 1)
    return best


@dataclass
class Metric:
    """One figure's number, measured once per repetition.

    aim: (comparison, bound), such as ("<=", 5.0); None for a number given for information.
    """

    name: str
    unit: str
    aim: tuple[str, float] | None = None
    values: list[float] = field(default_factory=list)
    # A metric is judged on its median by default; "max" judges the worst repetition (counts
    # of lost tokens or errors must be zero in every repetition).
    judged_on: str = "median"

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else math.nan

    @property
    def spread(self) -> tuple[float, float]:
        return (min(self.values), max(self.values)) if self.values else (math.nan, math.nan)

    @property
    def judged_value(self) -> float:
        return self.spread[1] if self.judged_on == "max" else self.median

    @property
    def met(self) -> bool | None:
        if self.aim is None or not self.values:
            return None
        comparison, bound = self.aim
        checks: dict[str, Callable[[float, float], bool]] = {
            "<=": lambda a, b: a <= b,
            ">=": lambda a, b: a >= b,
            "==": lambda a, b: a == b,
        }
        return checks[comparison](self.judged_value, bound)

    def as_json(self) -> dict:
        low, high = self.spread
        return {
            "unit": self.unit,
            "median": _finite(self.median),
            "min": _finite(low),
            "max": _finite(high),
            "values": [_finite(v) for v in self.values],
            "aim": f"{self.aim[0]} {self.aim[1]:g}" if self.aim else None,
            "judged_on": self.judged_on,
            "met": self.met,
        }


def _finite(value: float) -> float | None:
    return None if value is None or math.isnan(value) else round(value, 3)
