"""POST /sessions/import/: an exported file becomes a new session of the importer's.

A file that is not a valid export is refused whole, with the reason, and nothing is created.
"""

import copy
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from playground.execution.limits import refusal_to_start
from playground.runs.models import Run
from playground.sessions.file_schema import MAX_RUNS
from playground.sessions.models import PlaygroundSession

from ..factories import make_provider, make_run

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def exported(alice, alice_client, session, provider) -> dict:
    """Alice's session with two runs, as her export gave it."""
    make_run(
        alice,
        provider,
        session=session,
        request_body={"model": "fake-model", "prompt": session.prompt, "stream": True},
        choices=[{"index": 0, "text": " Paris.", "logprobs": None, "finish_reason": "stop"}],
        usage={"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
        total_ms=250.0,
        completion_tokens=2,
        form_state={"provider": str(provider.pk), "model": "fake-model", "prompt": session.prompt},
    )
    make_run(
        alice,
        provider,
        session=session,
        request_body={"model": "fake-model", "prompt": session.prompt, "stream": False},
        choices=[
            {
                "index": 0,
                "text": " Lyon?",
                "logprobs": {
                    "tokens": [" Lyon", "?"],
                    "token_logprobs": [-1.5, -0.1],
                    "top_logprobs": [{" Lyon": -1.5, " Paris": -0.3}, None],
                    "text_offset": [24, 29],
                },
                "finish_reason": "length",
            }
        ],
    )
    return alice_client.get(f"/sessions/{session.pk}/export/").json()


def upload(data, name="session.json") -> SimpleUploadedFile:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return SimpleUploadedFile(name, raw, content_type="application/json")


def import_file(client, data, **kwargs):
    return client.post("/sessions/import/", {"file": upload(data)}, **kwargs)


def test_it_creates_a_new_session_owned_by_the_importer(bob, bob_client, exported):
    bobs_provider = make_provider(owner=bob, name="Bob's provider")

    response = import_file(bob_client, exported)

    imported = PlaygroundSession.objects.get(owner=bob)
    assert response.status_code == 302
    assert response.url == f"/sessions/{imported.pk}/"
    assert imported.title == "The capital of France is"
    assert imported.prompt == exported["session"]["prompt"]
    assert imported.parameters == exported["session"]["parameters"]
    assert imported.model == "fake-model"
    # A provider is not part of the file: the importer's own default is used.
    assert imported.provider == bobs_provider
    runs = list(imported.runs.order_by("created_at", "id"))
    assert [run.owner for run in runs] == [bob, bob]
    assert [run.choices[0]["text"] for run in runs] == [" Paris.", " Lyon?"]
    assert runs[0].usage == {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
    assert runs[0].provider is None
    assert runs[0].provider_name == "Alice's provider"
    assert [run.created_at.isoformat() for run in runs] == [
        run["created_at"] for run in exported["runs"]
    ]
    assert imported.last_run_at == runs[-1].created_at


def test_imported_runs_take_none_of_the_runs_a_minute(bob, bob_client, exported, settings):
    # The file's two runs were made just now; imported, they keep that time.
    settings.PLAYGROUND_RUNS_PER_MINUTE = 2

    import_file(bob_client, exported)

    assert Run.objects.filter(owner=bob).count() == 2
    with transaction.atomic():
        assert refusal_to_start(bob) == ""


def test_the_original_is_left_as_it_was(alice, bob_client, exported, session):
    import_file(bob_client, exported)

    assert PlaygroundSession.objects.filter(owner=alice).get() == session
    assert session.runs.count() == 2


def test_the_imported_session_opens_with_its_runs(bob_client, exported):
    response = import_file(bob_client, exported, follow=True)

    assert "Imported “The capital of France is”." in response.text
    assert len(re.findall(r'data-run="\d+"', response.text)) == 2
    assert " Lyon" in response.text
    assert 'class="tok p' in response.text


def test_markup_in_an_imported_file_is_shown_as_text(bob_client, exported):
    exported["session"].update(title=SCRIPT, title_is_custom=True, prompt=SCRIPT)
    exported["runs"][0].update(model=SCRIPT, error=SCRIPT, notices=[SCRIPT])
    exported["runs"][0]["choices"][0].update(text=SCRIPT, finish_reason=SCRIPT)
    exported["runs"][0]["request_body"]["prompt"] = SCRIPT

    page = import_file(bob_client, exported, follow=True).text
    listing = bob_client.get("/sessions/").text
    code = bob_client.get(f"/runs/{Run.objects.order_by('id').first().pk}/code/").text

    for content in (page, listing, code):
        assert SCRIPT not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listing


def test_a_streaming_run_in_a_file_comes_in_as_interrupted(bob_client, exported):
    exported["runs"][0]["status"] = "streaming"

    import_file(bob_client, exported)

    assert Run.objects.filter(owner__username="bob", status="interrupted").count() == 1


def test_a_file_without_runs_is_imported(bob, bob_client, exported):
    del exported["runs"]

    import_file(bob_client, exported)

    assert PlaygroundSession.objects.get(owner=bob).runs.count() == 0


def _set(path, value):
    """Returns a change to the exported data: sets the value at a path of keys and indexes."""

    def change(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
        return data

    return change


_DELETE = object()


def _nested(depth):
    value = "deep"
    for _ in range(depth):
        value = {"a": value}
    return value


HOSTILE = {
    "not_a_session_export": (lambda data: {"hello": "world"}, "is not a session export"),
    "a_list": (lambda data: [data], "is not a session export"),
    "wrong_format": (_set(["format"], "something-else"), "is not a session export"),
    "wrong_version": (_set(["version"], 99), "unknown version"),
    "version_as_text": (_set(["version"], "1"), "unknown version"),
    "version_true": (_set(["version"], True), "unknown version"),
    "session_missing": (_set(["session"], _DELETE), "session is missing"),
    "session_a_list": (_set(["session"], []), "session must be an object"),
    "title_a_number": (_set(["session", "title"], 5), "session.title must be a string"),
    "title_too_long": (_set(["session", "title"], "t" * 201), "session.title is longer"),
    "title_is_custom_text": (
        _set(["session", "title_is_custom"], "yes"),
        "session.title_is_custom must be true or false",
    ),
    "prompt_an_object": (_set(["session", "prompt"], {}), "session.prompt must be a string"),
    "prompt_huge": (_set(["session", "prompt"], "p" * 200_001), "session.prompt is longer"),
    "model_null": (_set(["session", "model"], None), "session.model must be a string"),
    "parameters_a_list": (
        _set(["session", "parameters"], []),
        "session.parameters must be an object",
    ),
    "parameter_a_number": (
        _set(["session", "parameters", "temperature"], 0.7),
        "session.parameters.temperature must be a string",
    ),
    "stop_a_string": (
        _set(["session", "parameters", "stop"], "\n"),
        "session.parameters.stop must be a list.",
    ),
    "stop_with_numbers": (
        _set(["session", "parameters", "stop"], [1, 2]),
        "session.parameters.stop[0] must be a string.",
    ),
    "parameter_huge": (
        _set(["session", "parameters", "user"], "s" * 20_001),
        "session.parameters.user is longer than 20000 characters.",
    ),
    "runs_an_object": (_set(["runs"], {}), "runs must be a list"),
    "run_a_string": (_set(["runs", 0], "run"), "runs[0] must be an object"),
    "request_body_missing": (
        _set(["runs", 0, "request_body"], _DELETE),
        "runs[0].request_body is missing.",
    ),
    "request_body_a_string": (
        _set(["runs", 1, "request_body"], "{}"),
        "runs[1].request_body must be an object",
    ),
    "choices_an_object": (_set(["runs", 0, "choices"], {}), "runs[0].choices must be a list"),
    "too_many_choices": (
        lambda data: _set(["runs", 0, "choices"], data["runs"][0]["choices"] * 1025)(data),
        "runs[0].choices has more than 1024 items.",
    ),
    "a_nul_character_in_a_name": (
        _set(["runs", 0, "request_body", "a\x00b"], 1),
        "A name in runs[0].request_body cannot hold a NUL character.",
    ),
    "choice_text_a_number": (
        _set(["runs", 0, "choices", 0, "text"], 42),
        "runs[0].choices[0].text must be a string",
    ),
    "choice_index_text": (
        _set(["runs", 0, "choices", 0, "index"], "0"),
        "runs[0].choices[0].index must be an integer",
    ),
    "choice_index_true": (
        _set(["runs", 0, "choices", 0, "index"], True),
        "runs[0].choices[0].index must be an integer",
    ),
    "logprobs_a_list": (
        _set(["runs", 0, "choices", 0, "logprobs"], []),
        "runs[0].choices[0].logprobs must be an object or null",
    ),
    "logprobs_tokens_a_string": (
        _set(["runs", 1, "choices", 0, "logprobs", "tokens"], " Lyon?"),
        "runs[1].choices[0].logprobs.tokens must be a list or null.",
    ),
    "logprobs_token_logprobs_text": (
        _set(["runs", 1, "choices", 0, "logprobs", "token_logprobs"], ["high", "low"]),
        "runs[1].choices[0].logprobs.token_logprobs[0] must be a number or null.",
    ),
    "logprobs_top_logprobs_a_list_of_lists": (
        _set(["runs", 1, "choices", 0, "logprobs", "top_logprobs"], [[1], [2]]),
        "runs[1].choices[0].logprobs.top_logprobs[0] must be an object or null.",
    ),
    "logprobs_alternative_text": (
        _set(["runs", 1, "choices", 0, "logprobs", "top_logprobs", 0, " Paris"], "likely"),
        'runs[1].choices[0].logprobs.top_logprobs[0][" Paris"] must be a number or null.',
    ),
    "logprobs_offset_text": (
        _set(["runs", 1, "choices", 0, "logprobs", "text_offset"], ["0", "5"]),
        "runs[1].choices[0].logprobs.text_offset[0] must be an integer.",
    ),
    "finish_reason_a_number": (
        _set(["runs", 0, "choices", 0, "finish_reason"], 1),
        "runs[0].choices[0].finish_reason must be a string or null",
    ),
    "status_unknown": (_set(["runs", 0, "status"], "exploded"), "runs[0].status must be one of"),
    "status_a_list": (_set(["runs", 0, "status"], ["completed"]), "runs[0].status must be one of"),
    "usage_a_list": (_set(["runs", 0, "usage"], [1]), "runs[0].usage must be an object or null"),
    "notices_with_numbers": (
        _set(["runs", 0, "notices"], ["ok", 3]),
        "runs[0].notices[1] must be a string.",
    ),
    "error_a_list": (_set(["runs", 0, "error"], ["bad"]), "runs[0].error must be a string"),
    "model_too_long": (_set(["runs", 0, "model"], "m" * 201), "runs[0].model is longer"),
    "total_ms_text": (_set(["runs", 0, "total_ms"], "fast"), "runs[0].total_ms must be a number"),
    "completion_tokens_huge": (
        _set(["runs", 0, "completion_tokens"], 10**20),
        "runs[0].completion_tokens must be a whole number",
    ),
    "completion_tokens_negative": (
        _set(["runs", 0, "completion_tokens"], -1),
        "runs[0].completion_tokens must be a whole number",
    ),
    "tokens_from_usage_text": (
        _set(["runs", 0, "tokens_from_usage"], "false"),
        "runs[0].tokens_from_usage must be true or false",
    ),
    "form_state_a_list": (
        _set(["runs", 0, "form_state"], ["prompt"]),
        "runs[0].form_state must be an object",
    ),
    "form_state_value_an_object": (
        _set(["runs", 0, "form_state", "temperature"], {"x": 1}),
        "runs[0].form_state.temperature must be a string",
    ),
    "form_state_stop_with_numbers": (
        _set(["runs", 0, "form_state", "stop"], [1]),
        "runs[0].form_state.stop[0] must be a string.",
    ),
    "created_at_not_a_date": (
        _set(["runs", 0, "created_at"], "2024-13-45T99:00:00"),
        "runs[0].created_at must be a date and time",
    ),
    "created_at_a_number": (
        _set(["runs", 0, "created_at"], 1700000000),
        "runs[0].created_at must be a date and time",
    ),
    "nested_deeply_in_a_request_body": (
        _set(["runs", 0, "request_body", "extra"], _nested(100)),
        "nested too deeply",
    ),
    "sent_requests_a_string": (
        _set(["runs", 0, "sent_requests"], "n=1"),
        "runs[0].sent_requests must be a list or null",
    ),
    "sent_requests_times_zero": (
        _set(["runs", 0, "sent_requests"], [{"times": 0, "changed": {}}]),
        "runs[0].sent_requests[0].times must be a whole number from 1",
    ),
    "sent_requests_changed_a_list": (
        _set(["runs", 0, "sent_requests"], [{"times": 1, "changed": ["n"]}]),
        "runs[0].sent_requests[0].changed must be an object",
    ),
    "nested_deeply_in_usage": (_set(["runs", 0, "usage"], _nested(100)), "nested too deeply"),
    "a_nul_character_in_the_prompt": (
        _set(["session", "prompt"], "before\x00after"),
        "session.prompt cannot hold a NUL character",
    ),
    "a_nul_character_in_a_request_body": (
        _set(["runs", 0, "request_body", "prompt"], "\x00"),
        "cannot hold a NUL character",
    ),
    "too_many_runs": (
        lambda data: {**data, "runs": [data["runs"][0]] * (MAX_RUNS + 1)},
        f"runs has more than {MAX_RUNS} items.",
    ),
}


@pytest.mark.parametrize("change, reason", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_malformed_file_is_refused_with_the_reason_and_nothing_is_created(
    bob, bob_client, exported, change, reason
):
    runs_before = Run.objects.count()

    response = import_file(bob_client, change(copy.deepcopy(exported)), follow=True)

    assert response.redirect_chain == [("/sessions/", 302)]
    messages = [str(message) for message in response.context["messages"]]
    assert len(messages) == 1
    assert messages[0].startswith("Nothing was imported: ")
    assert reason in messages[0]
    assert not PlaygroundSession.objects.filter(owner=bob).exists()
    assert Run.objects.count() == runs_before


RAW = {
    "not_json": (b"this is not json", "The file is not valid JSON"),
    "truncated_json": (b'{"format": "completions-playground/session", "version": 1', "not valid"),
    "not_utf8": ('{"title": "caf\u00e9"}'.encode("latin-1"), "The file is not UTF-8 text."),
    "empty": (b"", "The submitted file is empty."),
    "nested_beyond_the_parsers_reach": (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    "a_lone_surrogate": (
        b'{"format": "completions-playground/session", "version": 1,'
        b' "session": {"title": "\\ud800"}}',
        "session.title is not valid Unicode text",
    ),
    "nan_as_a_number": (
        b'{"format": "completions-playground/session", "version": 1, "session": {},'
        b' "runs": [{"request_body": {}, "total_ms": NaN}]}',
        "The file is not valid JSON: NaN is not a JSON number",
    ),
    "a_number_too_large": (
        b'{"format": "completions-playground/session", "version": 1, "session": {},'
        b' "runs": [{"request_body": {"temperature": 1e400}}]}',
        "The file is not valid JSON: 1e400 is too large a number",
    ),
}


@pytest.mark.parametrize("raw, reason", RAW.values(), ids=RAW.keys())
def test_a_file_that_is_not_an_export_is_refused(bob, bob_client, raw, reason):
    response = import_file(bob_client, raw, follow=True)

    assert reason in response.text
    assert not PlaygroundSession.objects.filter(owner=bob).exists()
    assert not Run.objects.exists()


def test_a_file_too_large_is_refused(bob, bob_client, exported, settings):
    raw = json.dumps(exported).encode()
    settings.PLAYGROUND_IMPORT_MAX_BYTES = len(raw) - 1

    response = import_file(bob_client, raw, follow=True)

    assert "Nothing was imported: The file is larger than" in response.text
    assert not PlaygroundSession.objects.filter(owner=bob).exists()


def test_the_size_cap_is_named_in_the_units_readme_uses(bob, bob_client, settings):
    """README says 5 MB for 5,000,000 bytes; binary units would say 4.8 MB."""
    settings.PLAYGROUND_IMPORT_MAX_BYTES = 5_000_000

    response = import_file(bob_client, b"x" * 5_000_001, follow=True)

    assert "The file is larger than 5 MB (5,000,000 bytes)." in response.text
    assert not PlaygroundSession.objects.filter(owner=bob).exists()


def test_a_file_within_the_limit_is_imported(bob, bob_client, exported, settings):
    raw = json.dumps(exported).encode()
    settings.PLAYGROUND_IMPORT_MAX_BYTES = len(raw)

    import_file(bob_client, raw)

    assert PlaygroundSession.objects.filter(owner=bob).exists()


def test_no_file_is_refused(bob, bob_client):
    response = bob_client.post("/sessions/import/", {}, follow=True)

    assert "Nothing was imported: Choose an exported session file." in response.text
    assert not PlaygroundSession.objects.exists()


def test_anonymous_users_are_sent_to_log_in(client, exported):
    sessions_before = PlaygroundSession.objects.count()

    response = import_file(client, exported)

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/sessions/import/"
    assert PlaygroundSession.objects.count() == sessions_before


def test_it_rejects_get(bob_client):
    assert bob_client.get("/sessions/import/").status_code == 405
