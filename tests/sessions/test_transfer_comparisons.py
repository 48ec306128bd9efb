"""A session's comparisons in its file: exported with their columns and each column's run,
imported as they were, and refused, with the run named, when a column does not fit."""

import json

import pytest

from playground.runs.models import Comparison, Run
from playground.sessions.transfer import InvalidExport, export_session, import_session, parse_export

from ..factories import make_run, make_session

pytestmark = pytest.mark.django_db


def compared_session(owner, provider):
    session = make_session(owner, provider, prompt="Rain")
    comparison = Comparison.objects.create(
        owner=owner,
        session=session,
        columns=[{"model": "m-a", "temperature": "0.2"}, {"model": "m-b", "seed": "7"}],
    )
    for column, (model, text) in enumerate([("m-a", " falls"), ("m-b", " stops")]):
        make_run(
            owner,
            provider,
            session=session,
            model=model,
            request_body={"model": model, "prompt": "Rain"},
            choices=[{"index": 0, "text": text, "logprobs": None, "finish_reason": "stop"}],
            comparison=comparison,
            column=column,
        )
    make_run(owner, provider, session=session, request_body={"model": "m", "prompt": "Rain"})
    return session


def test_a_comparison_goes_out_and_comes_back_with_its_columns(alice, bob, provider):
    exported = export_session(compared_session(alice, provider))
    assert exported["comparisons"][0]["columns"][1] == {"model": "m-b", "seed": "7"}
    assert [(r.get("comparison"), r.get("column")) for r in exported["runs"]] == [
        (0, 0),
        (0, 1),
        (None, None),
    ]

    copy = import_session(parse_export(json.dumps(exported).encode()), bob)

    [comparison] = Comparison.objects.filter(session=copy)
    assert comparison.owner == bob
    assert comparison.columns == exported["comparisons"][0]["columns"]
    columns = Run.objects.filter(comparison=comparison).order_by("column")
    assert [(r.column, r.model, r.choices[0]["text"]) for r in columns] == [
        (0, "m-a", " falls"),
        (1, "m-b", " stops"),
    ]
    assert Run.objects.filter(session=copy, comparison__isnull=True).count() == 1


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda f: f["runs"][1].update(comparison=3),
            "runs[1].comparison is 3, but the file has 1",
        ),
        (lambda f: f["runs"][1].update(column=4), "runs[1].column is 4, but comparisons[0] has 2"),
        (
            lambda f: f["runs"][1].update(column=0),
            "runs[1] is column 0 of comparisons[0], as another",
        ),
        (lambda f: f["runs"][1].pop("column"), "runs[1] has one of comparison and column"),
        (lambda f: f["comparisons"][0]["columns"].pop(), "comparisons[0].columns"),
    ],
)
def test_a_column_that_does_not_fit_is_refused_and_named(alice, provider, change, message):
    exported = export_session(compared_session(alice, provider))
    change(exported)

    with pytest.raises(InvalidExport, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_export(json.dumps(exported).encode())
