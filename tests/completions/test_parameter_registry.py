"""A parameter registered in completions/parameters.py, and nowhere else, is in every place a
parameter goes: the form and the page, the body sent upstream, the saved session, the
"View code" snippets, and export and import.

top_k here is a throwaway: registered for each test, gone after it.
"""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.datastructures import MultiValueDict

from playground.completions import parameters
from playground.completions.forms import CompletionForm
from playground.completions.parameters import INT32_MAX, Parameter, Type
from playground.execution.launch import launch_run
from playground.runs.models import Run
from playground.sessions.models import PlaygroundSession

from ..execution.helpers import page_message, run_and_collect, run_message
from ..factories import make_session
from ..fake_upstream import Reply, completion_response
from ..sessions.helpers import form_data
from .test_snippets_run import run_python, snippet

HELP = "Sample from the k most likely tokens only."


@pytest.fixture
def top_k():
    """top_k, as a provider such as llama.cpp or vLLM takes it: not OpenAI's, so the openai
    SDK must send it in extra_body."""
    throwaway = Parameter(
        name="top_k",
        type=Type.INTEGER,
        minimum=0,
        maximum=INT32_MAX,
        default="40",
        help_text=HELP,
        in_openai_schema=False,
    )
    with parameters.registered_while(throwaway, after="top_p"):
        yield throwaway
    assert parameters.get("top_k") is None


@pytest.fixture
def session(alice, alice_provider):
    return make_session(alice, alice_provider, prompt="Once upon a time")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def launched_run(user, provider, session, **fields) -> Run:
    launch = launch_run(user, page_message(provider, session=str(session.pk), **fields))
    assert launch.run is not None, launch.form.errors if launch.form else launch.error
    return launch.run


@pytest.mark.django_db
def test_the_page_shows_its_field_with_its_help(top_k, alice_client, session):
    page = alice_client.get(f"/sessions/{session.pk}/").text

    assert 'data-field="top_k"' in page
    assert HELP in page
    assert 'placeholder="40"' in page
    assert form_data(page)["top_k"] == ""


@pytest.mark.django_db
def test_the_form_holds_it_to_its_bounds(top_k, alice, alice_provider):
    data = MultiValueDict({"provider": [alice_provider.pk], "model": ["m"], "top_k": ["-1"]})
    form = CompletionForm(data, user=alice)

    assert not form.is_valid()
    assert form.errors["top_k"] == [f"top_k must be between 0 and {INT32_MAX}."]


@pytest.mark.django_db
def test_extra_body_fields_cannot_override_it(top_k, alice, alice_provider):
    data = MultiValueDict(
        {"provider": [alice_provider.pk], "model": ["m"], "extra_body": ['{"top_k": 5}']}
    )
    form = CompletionForm(data, user=alice)

    assert not form.is_valid()
    assert "cannot override top_k" in form.errors["extra_body"][0]


@pytest.mark.django_db(transaction=True)
async def test_it_goes_upstream_from_the_socket_as_a_number(
    top_k, alice_provider, upstream, alice_socket
):
    frames = await run_and_collect(alice_socket, run_message(alice_provider, top_k="40"))

    assert frames[-1]["type"] == "run.finished", frames
    assert upstream.last_body["top_k"] == 40
    assert frames[0]["request"]["top_k"] == 40


@pytest.mark.django_db(transaction=True)
async def test_it_goes_upstream_from_the_pages_form(top_k, alice_provider, upstream, alice_socket):
    frames = await run_and_collect(alice_socket, page_message(alice_provider, top_k="7"))

    assert frames[-1]["type"] == "run.finished", frames
    assert upstream.last_body["top_k"] == 7


@pytest.mark.django_db(transaction=True)
async def test_left_blank_it_is_not_sent(top_k, alice_provider, upstream, alice_socket):
    await run_and_collect(alice_socket, page_message(alice_provider))

    assert "top_k" not in upstream.last_body


@pytest.mark.django_db
def test_autosave_keeps_it_and_the_page_shows_it_again(top_k, alice_client, session):
    posted = {**page_message(session.provider), "top_k": "12"}
    posted.pop("HEADERS")
    alice_client.post(f"/sessions/{session.pk}/autosave/", posted, headers={"HX-Request": "true"})

    session.refresh_from_db()
    assert session.parameters["top_k"] == "12"
    assert form_data(alice_client.get(f"/sessions/{session.pk}/").text)["top_k"] == "12"


@pytest.mark.django_db
def test_view_code_sends_it_and_the_openai_sdk_gets_it_in_extra_body(
    top_k, alice, alice_provider, alice_client, session, upstream
):
    run = launched_run(alice, alice_provider, session, top_k="40", stream="")
    upstream.script(Reply(completion_response(["Hello"])))

    code = alice_client.get(f"/runs/{run.pk}/code/").text
    output = run_python(snippet(run, "Python (openai)"))

    assert "extra_body={&#x27;top_k&#x27;: 40}" in code
    assert "top_k=" not in code
    assert "Hello" in output
    assert upstream.last_body["top_k"] == 40
    assert upstream.last_body == run.request_body


@pytest.mark.django_db
def test_export_and_import_carry_it(top_k, alice, bob, alice_client, session):
    launched_run(alice, session.provider, session, top_k="3")
    exported = alice_client.get(f"/sessions/{session.pk}/export/").json()

    upload = SimpleUploadedFile("s.json", json.dumps(exported).encode())
    logged_in(bob).post("/sessions/import/", {"file": upload})

    imported = PlaygroundSession.objects.get(owner=bob)
    assert exported["session"]["parameters"]["top_k"] == "3"
    assert imported.parameters["top_k"] == "3"
    assert imported.runs.get().form_state["top_k"] == "3"


@pytest.mark.django_db
def test_an_import_holds_it_to_the_saved_shape(top_k, alice_client, bob, session):
    exported = alice_client.get(f"/sessions/{session.pk}/export/").json()
    exported["session"]["parameters"]["top_k"] = 3

    upload = SimpleUploadedFile("s.json", json.dumps(exported).encode())
    response = logged_in(bob).post("/sessions/import/", {"file": upload}, follow=True)

    assert "session.parameters.top_k must be a string" in response.text
    assert not PlaygroundSession.objects.filter(owner=bob).exists()


@pytest.mark.django_db
def test_the_import_schema_names_it(top_k, client):
    schema = client.get("/sessions/import/schema.json").json()

    saved = schema["$defs"]["parameters"]["properties"]["top_k"]
    assert saved["type"] == "string"
    assert saved["description"] == HELP


@pytest.mark.django_db
def test_once_unregistered_it_is_gone_from_the_form(alice):
    with parameters.registered_while(Parameter(name="top_k", type=Type.INTEGER, help_text="")):
        assert "top_k" in CompletionForm(user=alice).fields

    assert "top_k" not in CompletionForm(user=alice).fields
