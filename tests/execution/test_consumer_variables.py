"""A run's {{variables}} are filled in on the server: upstream and the stored run get the
filled text, the session keeps the template and the values."""

import json

import pytest
from asgiref.sync import sync_to_async

from playground.runs.models import Run
from playground.sessions.models import PlaygroundSession

from ..fake_upstream import SSE, completion_chunk
from .helpers import page_message, run_and_collect

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def new_session(owner) -> PlaygroundSession:
    return PlaygroundSession.objects.create(owner=owner)


async def test_the_filled_prompt_goes_upstream_and_into_the_run(
    alice, alice_provider, alice_socket, upstream
):
    session = await new_session(alice)
    frames = await run_and_collect(
        alice_socket,
        page_message(
            alice_provider,
            session=str(session.pk),
            prompt="The capital of {{city}} is",
            suffix="{{{{done}}",
            variables=json.dumps({"city": "France"}),
        ),
    )
    assert frames[-1]["type"] == "run.finished", frames[-1]
    assert upstream.last_body["prompt"] == "The capital of France is"
    assert upstream.last_body["suffix"] == "{{done}}"
    run = await Run.objects.aget(pk=frames[-1]["run"])
    assert run.request_body["prompt"] == "The capital of France is"


async def test_a_variable_without_a_value_is_refused_and_nothing_is_sent(
    alice, alice_provider, alice_socket, upstream
):
    frames = await run_and_collect(
        alice_socket, page_message(alice_provider, prompt="Hi {{name}}", variables="")
    )
    assert frames[-1]["type"] == "form.invalid"
    assert "No value for name" in json.dumps(frames[-1])
    assert upstream.requests == []


async def test_the_session_keeps_the_template_and_the_values_after_the_run(
    alice, alice_provider, alice_socket, upstream
):
    upstream.script(SSE([completion_chunk(" Paris."), completion_chunk("")]))
    session = await new_session(alice)
    frames = await run_and_collect(
        alice_socket,
        page_message(
            alice_provider,
            session=str(session.pk),
            prompt="Capital of {{city}}:",
            variables=json.dumps({"city": "France"}),
        ),
    )
    assert frames[-1]["type"] == "run.finished", frames[-1]
    stored = await PlaygroundSession.objects.aget(pk=session.pk)
    # The run is taken into the document with the variable, ready to be filled again.
    assert stored.prompt == "Capital of {{city}}: Paris."
    assert json.loads(stored.parameters["variables"]) == {"city": "France"}


@sync_to_async
def export_and_import(session, user):
    from playground.sessions.transfer import export_session, import_session, parse_export

    raw = json.dumps(export_session(session)).encode()
    return import_session(parse_export(raw), user)


async def test_an_exported_session_with_a_filled_run_imports_with_its_template(
    alice, alice_provider, alice_socket, upstream
):
    """The run's looks cover the document as written, which is not the text sent."""
    upstream.script(SSE([completion_chunk(" Paris."), completion_chunk("")]))
    session = await new_session(alice)
    await run_and_collect(
        alice_socket,
        page_message(
            alice_provider,
            session=str(session.pk),
            prompt="Capital of {{city}}:",
            looks='[["p", 20]]',
            variables=json.dumps({"city": "France"}),
        ),
    )
    copy = await export_and_import(session, alice)
    run = await Run.objects.aget(session=copy)
    assert run.written_prompt_and_suffix == ("Capital of {{city}}:", "")
    assert run.request_body["prompt"] == "Capital of France:"
