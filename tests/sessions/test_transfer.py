"""Sessions as files: what an export holds reads back through import as the same session."""

import json

import pytest

from playground.sessions.file_schema import FORMAT, MAX_DEPTH, VERSION
from playground.sessions.transfer import (
    InvalidExport,
    export_session,
    import_session,
    parse_export,
    runs_as_jsonl,
)

from ..factories import make_run, make_session

pytestmark = pytest.mark.django_db


def as_file(data: dict) -> bytes:
    return json.dumps(data).encode()


def without_times(export: dict) -> dict:
    export = {**export, "runs": [{**run, "created_at": None} for run in export["runs"]]}
    export.pop("exported_at")
    return export


def test_an_export_imports_as_the_same_session(alice, session, run, provider):
    make_run(
        alice,
        provider,
        session=session,
        status="failed",
        error="Bad gateway",
        notices=["n was lowered to 1."],
        usage=None,
        time_to_first_token_ms=None,
        completion_tokens=0,
        tokens_from_usage=True,
        request_body={"model": "fake-model", "prompt": ["a", "b"], "stream": False, "n": 2},
        sent_requests=[
            {"times": 2, "changed": {"prompt": "a", "n": 1}},
            {"times": 2, "changed": {"prompt": "b", "n": 1}},
        ],
    )
    exported = export_session(session)

    imported = import_session(parse_export(as_file(exported)), alice)

    again = export_session(imported)
    assert again["session"]["title_is_custom"] is True
    assert again["session"]["parameters"] == exported["session"]["parameters"]
    assert [r["created_at"] for r in again["runs"]] == [r["created_at"] for r in exported["runs"]]
    assert without_times(again)["runs"] == without_times(exported)["runs"]


def test_the_requests_sent_upstream_travel_with_the_run(alice, session):
    sent = [{"times": 3, "changed": {"n": 1}}]
    make_run(alice, session=session, sent_requests=sent)

    imported = import_session(parse_export(as_file(export_session(session))), alice)

    assert export_session(session)["runs"][0]["sent_requests"] == sent
    assert imported.runs.get().sent_requests == sent


def test_a_file_from_before_sent_requests_were_kept_still_imports(alice, session, run):
    exported = export_session(session)
    for data in exported["runs"]:
        del data["sent_requests"]

    imported = import_session(parse_export(as_file(exported)), alice)

    assert [r.sent_requests for r in imported.runs.all()] == [None]


def test_a_file_from_before_logit_bias_was_kept_as_pairs_still_imports(alice, session, run):
    old = {"logit_bias_token": ["50256", "", "13", ""], "logit_bias_bias": ["-100", "", "", ""]}
    exported = export_session(session)
    for parameters in (exported["session"]["parameters"], exported["runs"][0]["form_state"]):
        del parameters["logit_bias"], parameters["include_usage"]
        parameters.update(old)

    imported = import_session(parse_export(as_file(exported)), alice)

    pairs = [["50256", "-100"], ["13", ""]]
    assert imported.parameters["logit_bias"] == pairs
    assert imported.parameters["include_usage"] == ""
    assert "logit_bias_token" not in imported.parameters
    assert imported.runs.get().form_state["logit_bias"] == pairs


def test_a_minimal_file_gives_an_empty_session(alice):
    parsed = parse_export(as_file({"format": FORMAT, "version": VERSION, "session": {}}))

    imported = import_session(parsed, alice)

    assert imported.title == "Imported session"
    assert imported.prompt == ""
    assert imported.runs.count() == 0
    assert imported.last_run_at is None


def test_the_imported_title_never_follows_the_prompt(alice, session):
    imported = import_session(parse_export(as_file(export_session(session))), alice)

    assert imported.title == session.title
    assert imported.title_is_custom


def test_a_session_without_provider_exports_an_empty_provider_name(alice):
    session = make_session(alice, prompt="No provider")

    assert export_session(session)["session"]["provider_name"] == ""


def test_json_nested_to_the_limit_is_kept_and_beyond_it_is_refused(alice, session, run):
    def nested(depth):
        value = 1
        for _ in range(depth):
            value = [value]
        return value

    exported = export_session(session)
    # The body is one level, its "extra" field another.
    exported["runs"][0]["request_body"]["extra"] = nested(MAX_DEPTH - 1)
    parse_export(as_file(exported))

    exported["runs"][0]["request_body"]["extra"] = nested(MAX_DEPTH)
    with pytest.raises(InvalidExport, match=r"runs\[0\]\.request_body is nested too deeply"):
        parse_export(as_file(exported))


def test_runs_as_jsonl_is_empty_for_a_session_without_runs(alice):
    assert runs_as_jsonl(make_session(alice)) == ""
