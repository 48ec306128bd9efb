"""Reads a dataset from CSV or JSONL text: the one parser, whose errors name the line and column.

- CSV: the first line is the header, one name per column; each line after it is a row with
  as many fields as the header. Quoting is the usual one (RFC 4180: a field in double quotes
  may hold commas, newlines and "" for a quote). Blank lines are skipped.
- JSONL: one JSON object per line, its keys the columns (in the order they first appear);
  a row without a column's key has "" there. A value is text, a number, true/false or null,
  and is kept as text: a number as JSON writes it, true/false as such, null as "".

Every value is text in the end, as a prompt's variables are. Nothing is kept from a file
with an error: the caller gets a DatasetError and stores nothing.

Caps: PLAYGROUND_DATASET_MAX_ROWS rows, MAX_COLUMNS columns, a column name of at most
MAX_NAME_CHARS characters, and a value of at most PLAYGROUND_MAX_PROMPT_CHARS characters
(a value goes into a prompt). The file's size is checked before it is read (forms.py).
"""

import csv
import io
import json
from dataclasses import dataclass

from django.conf import settings

from playground.json_values import is_number, strict_loads

MAX_COLUMNS = 100
MAX_NAME_CHARS = 200


class DatasetError(ValueError):
    """What is wrong, and where: the line (from 1) and, where one is at fault, the column."""

    def __init__(self, message: str, line: int | None = None, column: str | None = None):
        self.line, self.column, self.message = line, column, message
        where = ", ".join(
            part
            for part in (
                f"line {line}" if line is not None else "",
                f"column {column}" if column is not None else "",
            )
            if part
        )
        super().__init__(f"{where.capitalize()}: {message}" if where else message)


@dataclass
class Table:
    columns: list[str]
    rows: list[dict[str, str]]


def decode(data: bytes) -> str:
    """UTF-8 text (a byte-order mark is dropped); else a DatasetError at the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DatasetError(
            f"the file is not UTF-8 text (byte {column} of the line cannot be read). "
            "Save it as UTF-8 and try again.",
            line=line,
        ) from None


def _column_label(columns: list[str], index: int) -> str:
    if index < len(columns):
        return f"{index + 1} ({columns[index]})"
    return f"{index + 1}"


def _checked_value(value: str, line: int, columns: list[str], index: int) -> str:
    cap = settings.PLAYGROUND_MAX_PROMPT_CHARS
    column = _column_label(columns, index)
    if len(value) > cap:
        raise DatasetError(
            f"the value has {len(value):,} characters; at most {cap:,} "
            "(PLAYGROUND_MAX_PROMPT_CHARS) are allowed.",
            line=line,
            column=column,
        )
    if "\x00" in value:
        raise DatasetError("the value holds a NUL character.", line=line, column=column)
    return value


def _checked_columns(names: list[str], line: int = 1) -> list[str]:
    if len(names) > MAX_COLUMNS:
        raise DatasetError(f"there are {len(names)} columns; at most {MAX_COLUMNS}.", line=line)
    seen: set[str] = set()
    for index, name in enumerate(names):
        column = str(index + 1)
        if not name:
            raise DatasetError("the column has no name.", line=line, column=column)
        if len(name) > MAX_NAME_CHARS:
            raise DatasetError(
                f"the column's name is longer than {MAX_NAME_CHARS} characters.",
                line=line,
                column=column,
            )
        if name in seen:
            raise DatasetError(
                f"{name!r} names two columns: each column needs its own name.",
                line=line,
                column=f"{column} ({name})",
            )
        seen.add(name)
    return names


def _check_row_count(count: int, line: int) -> None:
    cap = settings.PLAYGROUND_DATASET_MAX_ROWS
    if count > cap:
        raise DatasetError(
            f"the dataset has more than {cap:,} rows, the cap (PLAYGROUND_DATASET_MAX_ROWS).",
            line=line,
        )


def _ids_checked(table: Table, lines: list[int]) -> Table:
    if "id" in table.columns:
        seen: dict[str, int] = {}
        index = table.columns.index("id")
        for row, line in zip(table.rows, lines, strict=True):
            value = row["id"]
            if value in seen:
                raise DatasetError(
                    f"the id {value!r} is on line {seen[value]} already: each row's id must "
                    "be its own.",
                    line=line,
                    column=_column_label(table.columns, index),
                )
            seen[value] = line
    if not table.rows:
        raise DatasetError("the dataset has no rows.")
    return table


def _open_field(record: str) -> int:
    """Which field of a CSV record (from 0) a quoting error is in: the one whose quote is
    still open at the end, or the one with text after its closing quote."""
    field, in_quotes, at_start, closed = 0, False, True, False
    i = 0
    while i < len(record):
        char = record[i]
        if in_quotes:
            if char == '"':
                if record[i + 1 : i + 2] == '"':
                    i += 1
                else:
                    in_quotes, closed = False, True
        elif char == ",":
            field, at_start, closed = field + 1, True, False
        elif char == '"' and at_start:
            in_quotes, at_start = True, False
        elif char in "\r\n":
            pass
        else:
            if closed:
                return field
            at_start = False
        i += 1
    return field


def _values(count: int) -> str:
    return f"{count} value" if count == 1 else f"{count} values"


def parse_csv(text: str) -> Table:
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(iter(lines), strict=True)
    columns: list[str] = []
    rows: list[dict[str, str]] = []
    row_lines: list[int] = []
    end = 0
    while True:
        start = end + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raw = "".join(lines[start - 1 : reader.line_num])
            field = _open_field(raw)
            quote_open = "end of data" in str(exc) or "EOF" in str(exc)
            message = (
                "a quoted value is never closed: add the closing double quote."
                if quote_open
                else f"the CSV is malformed ({exc}): a value with a quote, comma or newline "
                'must be in double quotes, with each " inside written "".'
            )
            raise DatasetError(message, line=start, column=_column_label(columns, field)) from None
        end = reader.line_num
        if not record:
            continue  # a blank line
        if not columns:
            columns = _checked_columns([name.strip() for name in record], line=start)
            continue
        if len(record) > len(columns):
            raise DatasetError(
                f"the row has {_values(len(record))}; the header has {len(columns)} columns.",
                line=start,
                column=_column_label(columns, len(columns)),
            )
        if len(record) < len(columns):
            raise DatasetError(
                f"the row has {_values(len(record))}; the header has {len(columns)} columns "
                "(an empty value is written as nothing between two commas).",
                line=start,
                column=_column_label(columns, len(record)),
            )
        _check_row_count(len(rows) + 1, start)
        rows.append(
            {
                name: _checked_value(value, start, columns, index)
                for index, (name, value) in enumerate(zip(columns, record, strict=True))
            }
        )
        row_lines.append(start)
    if not columns:
        raise DatasetError("the text is empty: the first line is the header, then the rows.")
    return _ids_checked(Table(columns, rows), row_lines)


def _text(value, line: int, column: str) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        return json.dumps(value)
    raise DatasetError(
        "the value is a list or an object: a value must be text, a number, true/false or null.",
        line=line,
        column=column,
    )


def parse_jsonl(text: str) -> Table:
    columns: dict[str, None] = {}
    found: list[tuple[int, dict]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            item = strict_loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(
                f"not valid JSON: {exc.msg}.", line=number, column=str(exc.colno)
            ) from None
        except ValueError as exc:
            raise DatasetError(f"not valid JSON: {exc}.", line=number) from None
        except RecursionError:
            raise DatasetError("the JSON is nested too deeply.", line=number) from None
        if not isinstance(item, dict):
            raise DatasetError("each line must be one JSON object ({...}).", line=number)
        _check_row_count(len(found) + 1, number)
        new = [key for key in item if key not in columns]
        if new:
            _checked_columns([*columns, *new], line=number)
            columns.update(dict.fromkeys(new))
        found.append((number, item))
    names = list(columns)
    rows = []
    for number, item in found:
        row = {}
        for index, name in enumerate(names):
            value = _text(item.get(name), number, _column_label(names, index))
            row[name] = _checked_value(value, number, names, index)
        rows.append(row)
    if not names and not found:
        raise DatasetError("the file is empty: write one JSON object per line.")
    return _ids_checked(Table(names, rows), [number for number, _ in found])


FORMATS = {"csv": parse_csv, "jsonl": parse_jsonl}


def format_of(filename: str) -> str | None:
    """The format a file's name says: .csv, or .jsonl (.ndjson)."""
    name = filename.lower()
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    return None


def to_csv(columns: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(name, "") for name in columns])
    return out.getvalue()


def to_jsonl(columns: list[str], rows) -> str:
    return "".join(
        json.dumps({name: row.get(name, "") for name in columns}, ensure_ascii=False) + "\n"
        for row in rows
    )
