"""A session's file carries the datasets its dataset runs used; an import brings them back as
the importer's own, checked as an uploaded JSONL file is, or refuses the whole file."""

import json

import pytest

from playground.datasets.models import Dataset, DatasetRun
from playground.sessions.models import PlaygroundSession
from playground.sessions.transfer import InvalidExport, export_session, import_session, parse_export

from ..factories import make_dataset, make_session

pytestmark = pytest.mark.django_db


def test_the_datasets_a_session_ran_over_go_out_and_come_back(alice, bob):
    session = make_session(alice, prompt="The capital of {{city}} is")
    used = make_dataset(
        alice, name="Cities", columns=("city", "expected"), rows=[{"city": "Oslo", "expected": "x"}]
    )
    make_dataset(alice, name="Unused", columns=("city",), rows=[{"city": "Rome"}])
    DatasetRun.objects.create(owner=alice, dataset=used, session=session)

    exported = export_session(session)

    assert exported["datasets"] == [
        {
            "name": "Cities",
            "columns": ["city", "expected"],
            "rows": [{"city": "Oslo", "expected": "x"}],
        }
    ]
    copy = import_session(parse_export(json.dumps(exported).encode()), bob)
    [mine] = Dataset.objects.filter(owner=bob)
    assert (mine.name, mine.columns, mine.row_count) == ("Cities", ["city", "expected"], 1)
    assert list(mine.rows.values_list("values", flat=True)) == [{"city": "Oslo", "expected": "x"}]
    assert copy.owner == bob


def test_a_session_without_dataset_runs_has_no_datasets_in_its_file(alice):
    assert "datasets" not in export_session(make_session(alice))


def test_a_bad_row_refuses_the_whole_file_and_names_it(alice, bob):
    session = make_session(alice)
    used = make_dataset(alice, name="Cities", columns=("city",), rows=[{"city": "Oslo"}])
    DatasetRun.objects.create(owner=alice, dataset=used, session=session)
    exported = export_session(session)
    exported["datasets"][0]["rows"].append({"city": "Rome", "id": "1"})
    exported["datasets"][0]["rows"].append({"city": "Paris", "id": "1"})

    with pytest.raises(InvalidExport, match=r"datasets\[0\]\.rows\[2\]"):
        parse_export(json.dumps(exported).encode())
    assert not PlaygroundSession.objects.filter(owner=bob).exists()
    assert not Dataset.objects.filter(owner=bob).exists()
