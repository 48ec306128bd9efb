"""A dataset run's results as its page and its exports show them: rows of cells (one per
column), the filters, each column's summary, and the CSV and JSONL files."""

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from playground.datasets.models import DatasetResult, DatasetRun, ResultStatus

from .scores import LIKELIHOOD_SCORES, SCORES, Summary, summarize

NO_LIKELIHOOD = (
    "No log-probability of expected: the provider gave no log probabilities for an echoed "
    "prompt (or the probe found it cannot), or the prompt is a JSON prompt."
)

FILTERS = {
    "": "All rows",
    "failures": "Failures only",
    "differ": "Rows where the columns differ",
}


@dataclass
class RowView:
    index: int
    values: dict
    cells: list[DatasetResult]


@dataclass
class ColumnSummary:
    label: str
    done: int = 0
    failed: int = 0
    cancelled: int = 0
    scores: list[Summary] = field(default_factory=list)
    mean_total_ms: float | None = None
    completion_tokens: int = 0
    # Why a score the run asked for is missing, if it is.
    note: str = ""


def row_indexes(run: DatasetRun, which: str) -> list[int]:
    """The indexes of the rows a filter keeps, in order."""
    outcomes: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for index, status, output in run.results.values_list("row_index", "status", "output"):
        outcomes[index].append((status, output.strip()))
    kept = []
    for index in sorted(outcomes):
        cells = outcomes[index]
        if which == "failures" and not any(s == ResultStatus.FAILED for s, _ in cells):
            continue
        if which == "differ" and len({output for _, output in cells}) < 2:
            continue
        kept.append(index)
    return kept


def rows_of(run: DatasetRun, indexes: list[int]) -> list[RowView]:
    results = run.results.filter(row_index__in=indexes).select_related("row")
    by_row: dict[int, RowView] = {}
    for result in results.order_by("row_index", "column"):
        view = by_row.setdefault(result.row_index, RowView(result.row_index, result.row.values, []))
        view.cells.append(result)
    return [by_row[i] for i in indexes if i in by_row]


def pass_at(run: DatasetRun) -> int | None:
    """n, when the run asked for n > 1 choices a row: its scores are then pass@n."""
    try:
        n = int(run.session_state.get("n") or 1)
    except (TypeError, ValueError):
        return None
    return n if n > 1 else None


def summaries(run: DatasetRun) -> list[ColumnSummary]:
    """Each column's counts, score means and spreads, mean time and tokens."""
    columns = [ColumnSummary(label) for label in run.column_labels]
    row_scores: dict[int, list[dict]] = defaultdict(list)
    times: dict[int, list[float]] = defaultdict(list)
    fields = ("column", "status", "scores", "total_ms", "completion_tokens")
    for column, status, found, total_ms, tokens in run.results.values_list(*fields):
        summary = columns[column]
        if status == ResultStatus.DONE:
            summary.done += 1
            row_scores[column].append(found)
            if total_ms is not None:
                times[column].append(total_ms)
            summary.completion_tokens += tokens or 0
        elif status == ResultStatus.FAILED:
            summary.failed += 1
        elif status == ResultStatus.CANCELLED:
            summary.cancelled += 1
    for index, summary in enumerate(columns):
        summary.scores = summarize(row_scores[index])
        scored = {score.name for score in summary.scores}
        if run.score_likelihood and summary.done and not scored & set(LIKELIHOOD_SCORES):
            summary.note = NO_LIKELIHOOD
        if times[index]:
            summary.mean_total_ms = sum(times[index]) / len(times[index])
    return columns


# The scores two runs are compared by: pass or fail, against the row's `expected`.
COMPARED_SCORES = ("exact", "contains", "regex")


@dataclass
class ScoreChange:
    """One row and column whose outcome differs between two runs of the same dataset."""

    index: int
    values: dict
    column: int
    before: DatasetResult
    after: DatasetResult
    # "better" (some score went from fail to pass, none back), "worse", or "mixed"; "status"
    # when only whether it was done changed.
    direction: str

    @property
    def pair(self) -> list[tuple[str, DatasetResult]]:
        return [("Before", self.before), ("After", self.after)]


def _direction(before: DatasetResult, after: DatasetResult) -> str | None:
    went_up = went_down = False
    for name in COMPARED_SCORES:
        old, new = before.scores.get(name), after.scores.get(name)
        if old is None or new is None or old == new:
            continue
        went_up, went_down = went_up or bool(new), went_down or bool(old)
    if went_up and went_down:
        return "mixed"
    if went_up or went_down:
        return "better" if went_up else "worse"
    if before.status != after.status:
        return "status"
    return None


def score_changes(before: DatasetRun, after: DatasetRun) -> list[ScoreChange]:
    """The rows whose scores (or whether they were done) changed from one run to the other,
    column by column where both runs have the column; by row."""
    earlier = {(r.row_index, r.column): r for r in before.results.all()}
    changes = []
    for result in after.results.select_related("row").order_by("row_index", "column"):
        old = earlier.get((result.row_index, result.column))
        direction = _direction(old, result) if old is not None else None
        if direction is not None and old is not None:
            changes.append(
                ScoreChange(
                    result.row_index, result.row.values, result.column, old, result, direction
                )
            )
    return changes


def means_side_by_side(before: DatasetRun, after: DatasetRun) -> list[dict]:
    """Each column of `after`: its label, the label of `before`'s column of the same place
    (None when it has none), and each score's mean then and now."""
    earlier = summaries(before)
    columns = []
    for index, summary in enumerate(summaries(after)):
        then = earlier[index] if index < len(earlier) else None
        means = {s.name: s.mean for s in then.scores} if then else {}
        columns.append(
            {
                "label": summary.label,
                "label_before": then.label if then else None,
                "scores": [(s.name, means.get(s.name), s.mean) for s in summary.scores],
            }
        )
    return columns


EXPORT_FIELDS = (
    "row",
    "column",
    "column_label",
    "status",
    "output",
    "exact",
    "contains",
    "regex",
    *LIKELIHOOD_SCORES,
    "completion_tokens",
    "time_to_first_token_ms",
    "total_ms",
    "finish_reason",
    "attempts",
    "error",
)


def _records(run: DatasetRun) -> Iterator[tuple[DatasetResult, dict]]:
    results = run.results.select_related("row").order_by("row_index", "column")
    for result in results.iterator(chunk_size=500):
        record = {
            "row": result.row_index,
            "column": result.column,
            "column_label": run.column_labels[result.column],
            "status": result.status,
            "output": result.output,
            **{name: result.scores.get(name) for name in (*SCORES, *LIKELIHOOD_SCORES)},
            "completion_tokens": result.completion_tokens,
            "time_to_first_token_ms": result.time_to_first_token_ms,
            "total_ms": result.total_ms,
            "finish_reason": result.finish_reason,
            "attempts": result.attempts,
            "error": result.error,
        }
        yield result, record


# What a spreadsheet reads as the start of a formula in a cell of text (OWASP's list for
# CSV injection): a model's output may start so, and would then run when the file is opened.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value):
    """A value for the results CSV: text a spreadsheet would take for a formula gets a
    leading ' (shown as text, not run); numbers, including negative ones, stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(run: DatasetRun) -> str:
    """One line per row and column: the row's values, then what came back. A report for
    spreadsheets, so no cell of text starts a formula (spreadsheet_cell); the JSONL is exact."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*run.dataset.columns, *EXPORT_FIELDS])
    for result, record in _records(run):
        values = [result.row.values.get(name, "") for name in run.dataset.columns]
        writer.writerow([spreadsheet_cell(v) for v in (*values, *record.values())])
    return out.getvalue()


def to_jsonl(run: DatasetRun) -> str:
    """One JSON object per row and column: its values, what came back, every choice, usage
    and logprobs."""
    lines = []
    for result, record in _records(run):
        record = {
            "values": result.row.values,
            **record,
            "choices": result.choices,
            "usage": result.usage,
            "logprobs": result.logprobs,
        }
        lines.append(json.dumps(record, ensure_ascii=False))
    return "\n".join(lines) + ("\n" if lines else "")
