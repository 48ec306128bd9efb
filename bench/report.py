"""The benchmark's table (Markdown, for the terminal and the README) and its JSON."""

import math
import statistics

from .figures import Figure
from .stats import Metric


def _number(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if unit in ("tokens", "errors", "runs", "frames", "tasks"):
        return f"{value:.0f}"
    if unit == "KiB":
        return f"{value:.1f} KiB"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:.2f} {unit}"


def _met(metric: Metric) -> str:
    return {True: "yes", False: "**NO**", None: "n/a"}[metric.met]


def _aim(metric: Metric) -> str:
    if metric.aim is None:
        return "(info)"
    comparison, bound = metric.aim
    sign = {"<=": "≤", ">=": "≥", "==": "="}[comparison]
    of = " (every rep.)" if metric.judged_on == "max" else ""
    return f"{sign} {_number(bound, metric.unit)}{of}"


def table(figures: list[Figure], repetitions: int) -> str:
    lines = [
        f"| # | metric | median of {repetitions} | spread (min to max) | aim | met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for figure in figures:
        if figure.error:
            lines.append(f"| {figure.key} | {figure.title}: **failed**: {figure.error} | | | | |")
            continue
        for metric in figure.metrics:
            low, high = metric.spread
            spread = f"{_number(low, metric.unit)} to {_number(high, metric.unit)}"
            lines.append(
                f"| {figure.key} | {metric.name} | {_number(metric.median, metric.unit)} "
                f"| {spread} | {_aim(metric)} | {_met(metric)} |"
            )
    return "\n".join(lines)


def levels_table(figure: Figure) -> str:
    """Figure 4 per level, or figure 8 per length, medians over the repetitions: the raw
    numbers behind the figure."""
    if figure.key == "8" and figure.details:
        return _lengths_table(figure)
    if figure.key != "4" or not figure.details:
        return ""
    lines = [
        "| streams | direct p50 / p99 | playground p50 / p99 | added p99 | frames per token "
        "| daphne CPU per token, whole runs |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for level in figure.details[0]:
        rows = [detail[level] for detail in figure.details if level in detail]

        def median(key, rows=rows):
            return statistics.median(row[key] for row in rows)

        daphne = statistics.median(row["cpu_us_per_token_playground"]["daphne"] for row in rows)
        lines.append(
            f"| {level} | {median('direct_p50_ms'):.1f} / {median('direct_p99_ms'):.1f} ms "
            f"| {median('playground_p50_ms'):.1f} / {median('playground_p99_ms'):.1f} ms "
            f"| {statistics.median(r['playground_p99_ms'] - r['direct_p99_ms'] for r in rows):.1f}"
            f" ms | {median('frames_per_token'):.2f} | {daphne:.0f} µs |"
        )
    return "\n".join(lines)


def _lengths_table(figure: Figure) -> str:
    lines = [
        "| tokens | characters | direct | playground | ratio "
        "| CPU per token: direct reader, daphne |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for length in figure.details[0]:
        rows = [detail[length] for detail in figure.details if length in detail]

        def median(key, rows=rows):
            return statistics.median(row[key] for row in rows)

        def cpu(path, process, rows=rows):
            return statistics.median(row[f"cpu_us_per_token_{path}"][process] for row in rows)

        ratio = statistics.median(row["playground_s"] / row["direct_s"] for row in rows)
        lines.append(
            f"| {int(length):,} | {median('characters'):,.0f} | {median('direct_s'):.2f} s "
            f"| {median('playground_s'):.2f} s | {ratio:.2f}x "
            f"| {cpu('direct', 'client'):.0f} µs, {cpu('playground', 'daphne'):.0f} µs |"
        )
    return "\n".join(lines)


def notes(figures: list[Figure]) -> str:
    lines = []
    for figure in figures:
        state = f"error: {figure.error}" if figure.error else "ok"
        lines.append(
            f"{figure.key}. {figure.title}: {figure.seconds:.0f} s, {state}; "
            f"tokens lost {figure.lost}, reordered {figure.reordered}"
        )
        lines.extend(f"   note: {note}" for note in figure.notes)
    return "\n".join(lines)


def as_json(figures: list[Figure], meta: dict) -> dict:
    metrics = [m for f in figures for m in f.metrics]
    return {
        "meta": meta,
        "figures": {f.key: f.as_json() for f in figures},
        "tokens_lost": sum(f.lost for f in figures),
        "tokens_reordered": sum(f.reordered for f in figures),
        "errors": [f"{f.key}: {f.error}" for f in figures if f.error],
        "all_aims_met": all(m.met is not False for m in metrics)
        and not any(f.error for f in figures),
    }
