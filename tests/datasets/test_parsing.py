"""The dataset parser: rows read as text, and each bad file named by its line and column."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from playground.datasets.parsing import (
    DatasetError,
    decode,
    parse_csv,
    parse_jsonl,
    to_csv,
    to_jsonl,
)


def error(parse, text) -> DatasetError:
    with pytest.raises(DatasetError) as raised:
        parse(text)
    return raised.value


def test_csv_rows_are_read_under_the_header():
    table = parse_csv('city,expected\nParis,"France, of course"\n\n"New\nYork",USA\n')
    assert table.columns == ["city", "expected"]
    assert table.rows == [
        {"city": "Paris", "expected": "France, of course"},
        {"city": "New\nYork", "expected": "USA"},
    ]


def test_a_row_with_too_many_fields_names_its_line_and_column():
    exc = error(parse_csv, "city,expected\nParis,France\nRome,Italy,extra\n")
    assert (exc.line, exc.column) == (3, "3")
    assert str(exc).startswith("Line 3, column 3: the row has 3 values")


def test_a_row_with_too_few_fields_names_the_first_missing_column():
    exc = error(parse_csv, "city,expected\nParis\n")
    assert (exc.line, exc.column) == (2, "2 (expected)")


def test_an_unterminated_quote_names_the_line_and_column_it_opens():
    exc = error(parse_csv, 'city,expected\nParis,France\nRome,"Italy\nOslo,Norway\n')
    assert (exc.line, exc.column) == (3, "2 (expected)")
    assert "never closed" in str(exc)


def test_text_after_a_closing_quote_names_its_line_and_column():
    exc = error(parse_csv, 'a,b,c\n1,"two"x,3\n')
    assert (exc.line, exc.column) == (2, "2 (b)")


def test_duplicate_and_empty_column_names_are_refused():
    assert error(parse_csv, "city,city\n1,2\n").column == "2 (city)"
    assert (
        error(parse_csv, "city,,x\n1,2,3\n").line,
        error(parse_csv, "city,,x\n1,2,3\n").column,
    ) == (1, "2")


def test_a_file_without_rows_is_refused():
    assert "no rows" in str(error(parse_csv, "city,expected\n"))
    assert "empty" in str(error(parse_csv, ""))
    assert "empty" in str(error(parse_jsonl, "\n"))


def test_a_value_over_the_prompt_cap_names_the_cap(settings):
    settings.PLAYGROUND_MAX_PROMPT_CHARS = 5
    exc = error(parse_csv, "city\nParis\nLondon\n")
    assert (exc.line, exc.column) == (3, "1 (city)")
    assert "PLAYGROUND_MAX_PROMPT_CHARS" in str(exc)


def test_rows_over_the_cap_name_the_cap(settings):
    settings.PLAYGROUND_DATASET_MAX_ROWS = 2
    exc = error(parse_csv, "city\na\nb\nc\n")
    assert exc.line == 4
    assert "more than 2 rows, the cap (PLAYGROUND_DATASET_MAX_ROWS)" in str(exc)
    assert error(parse_jsonl, '{"a": 1}\n{"a": 2}\n{"a": 3}\n').line == 3


def test_a_repeated_id_names_both_lines():
    exc = error(parse_csv, "id,city\n1,a\n2,b\n1,c\n")
    assert (exc.line, exc.column) == (4, "1 (id)")
    assert "on line 2 already" in str(exc)


def test_jsonl_rows_keep_values_as_text():
    table = parse_jsonl('{"city": "Paris", "n": 2}\n\n{"city": "Rome", "ok": true, "n": null}\n')
    assert table.columns == ["city", "n", "ok"]
    assert table.rows == [
        {"city": "Paris", "n": "2", "ok": ""},
        {"city": "Rome", "n": "", "ok": "true"},
    ]


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ('{"a": 1}\n{"a": }\n', 2, "7", "not valid JSON"),
        ('{"a": 1}\n[1, 2]\n', 2, None, "one JSON object"),
        ('{"a": 1}\n{"a": {"b": 1}}\n', 2, "1 (a)", "text, a number, true/false or null"),
        ('{"a": NaN}\n', 1, None, "NaN"),
    ],
)
def test_a_bad_jsonl_line_is_named(text, line, column, message):
    exc = error(parse_jsonl, text)
    assert (exc.line, exc.column) == (line, column)
    assert message in str(exc)


def test_a_file_that_is_not_utf8_names_the_line():
    exc = error(decode, "city\nParis\nK\u00f8benhavn\n".encode("latin-1"))
    assert exc.line == 3
    assert "not UTF-8" in str(exc)


def test_a_byte_order_mark_is_dropped():
    assert parse_csv(decode("\ufeffcity\nParis\n".encode())).columns == ["city"]


names = st.lists(
    st.text(alphabet=st.characters(categories=("L", "N")), min_size=1, max_size=8),
    min_size=1,
    max_size=4,
    unique=True,
)
value = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=20
)


@given(
    names.flatmap(
        lambda cols: st.tuples(
            st.just(cols),
            st.lists(st.fixed_dictionaries({c: value for c in cols}), min_size=1, max_size=5),
        )
    )
)
def test_csv_and_jsonl_round_trip(table):
    columns, rows = table
    assert parse_csv(to_csv(columns, rows)).rows == rows
    assert parse_jsonl(to_jsonl(columns, rows)).rows == rows
