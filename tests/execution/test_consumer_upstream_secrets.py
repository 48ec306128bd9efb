"""Secrets a provider echoes back (the key, extra-header values) reach no frame, page or file.

A shared provider's OpenAI-Organization value comes back in OpenAI's own error ("No such
organization: org-…"), and gateways echo their token headers; from the run's error it would
reach the session page, the export, the JSONL, the share page and every fork.
"""

import html
import json
import re

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from playground.runs.models import Run
from playground.sessions.models import PlaygroundSession
from playground.sharing.models import SessionShare, Visibility, new_token

from ..factories import fake_header_value, make_provider, make_session
from ..fake_upstream import SSE, Reply, completion_chunk, completion_response
from .helpers import KEY, frames_text, run_and_collect, run_message

pytestmark = pytest.mark.django_db(transaction=True)

ORGANIZATION = fake_header_value("org-")
GATEWAY_TOKEN = fake_header_value("gw_")
HEADERS = {"OpenAI-Organization": ORGANIZATION, "X-Gateway-Token": GATEWAY_TOKEN}
SECRETS = (KEY, ORGANIZATION, GATEWAY_TOKEN)


def openai_error(message):
    return {"error": {"message": message, "type": "invalid_request_error", "code": None}}


def decoded(text: str) -> str:
    """text as a browser or a JSON parser would read it: entities and escapes resolved."""
    text = html.unescape(html.unescape(text))
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m[1], 16)), text)


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        # Nor a recognisable part of one: its first half with the rest cut off, or its
        # random end, whatever escapes the text is written in.
        parts = (secret, secret[: len(secret) // 2], secret[len(secret) // 2 :], secret[-12:])
        for form in (text, decoded(text)):
            for part in parts:
                assert part not in form


def entities(text: str, style: str) -> str:
    """text with every character as an HTML character reference, as some gateways send it."""
    return "".join(f"&#{ord(c)};" if style == "decimal" else f"&#x{ord(c):X};" for c in text)


@pytest.fixture
def shared_provider(db, upstream):
    return make_provider(
        owner=None,
        base_url=upstream.base_url,
        name="Shared with an organization",
        extra_headers=json.dumps(HEADERS),
    )


async def run_on(socket, provider, session=None):
    message = run_message(provider, prompt="x", stream="on")
    if session is not None:
        message["session"] = session.pk
    frames = await run_and_collect(socket, message)
    run = await Run.objects.aget(pk=frames[0]["run"])
    return frames, run


ECHOES = {
    "an OpenAI error status": Reply(
        openai_error(f"No such organization: {ORGANIZATION}. Token {GATEWAY_TOKEN} refused."),
        status=401,
    ),
    "an error event mid-stream": SSE(
        [
            completion_chunk("Hello"),
            openai_error(f"Gateway token {GATEWAY_TOKEN} expired; org {ORGANIZATION}."),
        ]
    ),
    "an HTML error page": Reply(
        f"<html><body><h1>Forbidden</h1><p>org {ORGANIZATION}, token {GATEWAY_TOKEN}</p>",
        status=403,
        content_type="text/html",
    ),
    "a redirect": Reply(
        "",
        status=307,
        content_type="text/plain",
        headers={"Location": f"https://gw.example/login?token={GATEWAY_TOKEN}&org={ORGANIZATION}"},
    ),
    "a malformed chunk": SSE(
        [f'data: {{"error": "org {ORGANIZATION} token {GATEWAY_TOKEN}\n\n'], done=False
    ),
    "entity-encoded values": Reply(
        openai_error(
            f"org {entities(ORGANIZATION, 'decimal')}, token {entities(GATEWAY_TOKEN, 'hex')}"
        ),
        status=401,
    ),
    # A message of ours that quotes the provider's JSON text quotes its escapes too.
    "JSON escapes in a non-JSON body": Reply(
        "upstream said: "
        + json.dumps({"org": ORGANIZATION, "token": GATEWAY_TOKEN}, ensure_ascii=True).replace(
            "-", "\\u002d"
        ),
        status=400,
        content_type="text/plain",
    ),
}


@pytest.mark.parametrize("reply", ECHOES.values(), ids=ECHOES.keys())
async def test_header_values_echoed_in_an_error_are_redacted(
    alice, shared_provider, upstream, alice_socket, reply
):
    upstream.script(reply)

    frames, run = await run_on(alice_socket, shared_provider)

    assert upstream.last_headers["openai-organization"] == ORGANIZATION
    assert frames[-1]["status"] == "failed"
    assert_no_secret(frames_text(frames))
    assert_no_secret(run.error)


async def test_the_error_names_the_header_whose_value_it_hid(
    alice, shared_provider, upstream, alice_socket
):
    upstream.script(Reply(openai_error(f"No such organization: {ORGANIZATION}."), status=401))

    frames, _ = await run_on(alice_socket, shared_provider)

    assert frames[-1]["error"] == (
        "The provider answered 401 Unauthorized: No such organization: "
        "[the OpenAI-Organization header]."
    )


async def test_header_values_echoed_in_a_response_are_redacted(
    alice, shared_provider, upstream, alice_socket
):
    # A debugging gateway that reports the headers it saw, in fields the run card shows.
    response = completion_response(["Hi"], finish_reason=f"blocked for {GATEWAY_TOKEN}")
    response["system_fingerprint"] = ORGANIZATION
    upstream.script(Reply(response))

    frames, run = await run_on(alice_socket, shared_provider, session=None)

    assert frames[-1]["status"] == "completed"
    assert_no_secret(frames_text(frames))
    assert_no_secret(json.dumps([run.raw_response, run.choices]))
    assert run.choices[0]["text"] == "Hi"


def page_texts(owner, viewer, session) -> str:
    """The session as its owner and a link viewer see it, exported, and forked by the viewer."""
    share = SessionShare.objects.create(
        session=session, visibility=Visibility.LINK, token=new_token()
    )
    owner_client, viewer_client = Client(), Client()
    owner_client.force_login(owner)
    viewer_client.force_login(viewer)
    pages = [
        owner_client.get(f"/sessions/{session.pk}/"),
        owner_client.get(f"/sessions/{session.pk}/export/"),
        owner_client.get(f"/sessions/{session.pk}/export.jsonl"),
        viewer_client.get(f"/s/{share.token}/"),
    ]
    assert viewer_client.post(f"/s/{share.token}/fork/").status_code == 302
    fork = PlaygroundSession.objects.get(owner=viewer)
    pages += [
        viewer_client.get(f"/sessions/{fork.pk}/"),
        viewer_client.get(f"/sessions/{fork.pk}/export/"),
    ]
    assert [page.status_code for page in pages] == [200] * len(pages)
    return "\n".join(page.content.decode() for page in pages)


async def test_a_header_value_in_an_error_reaches_no_page_export_share_or_fork(
    alice, bob, shared_provider, upstream, alice_socket
):
    upstream.script(
        Reply(openai_error(f"No such organization: {ORGANIZATION} ({GATEWAY_TOKEN})"), status=401)
    )
    session = await sync_to_async(make_session)(alice, shared_provider, prompt="x")

    _, run = await run_on(alice_socket, shared_provider, session=session)

    assert run.session_id == session.pk
    texts = await sync_to_async(page_texts)(alice, bob, session)
    assert "No such organization: [the OpenAI-Organization header]" in texts
    assert_no_secret(texts)


async def test_a_key_straddling_the_cut_of_a_long_message_is_redacted_whole(
    alice_provider, upstream, alice_socket
):
    # The message is cut to 1,000 characters for the page: the key starts just before.
    message = "x" * (1000 - len(KEY) + 4) + KEY + " and the rest of a long traceback" * 20
    upstream.script(Reply(openai_error(message), status=401))

    frames, run = await run_on(alice_socket, alice_provider)

    assert run.error.endswith("…")
    assert_no_secret(frames_text(frames))
    assert_no_secret(run.error)


async def test_a_key_straddling_the_cut_of_an_html_page_is_redacted_whole(
    alice_provider, upstream, alice_socket
):
    page = "<html><body><p>" + "y" * (300 - len(KEY)) + f" {KEY} rejected</p></body></html>"
    upstream.script(Reply(page, status=401, content_type="text/html"))

    frames, run = await run_on(alice_socket, alice_provider)

    assert_no_secret(frames_text(frames))
    assert_no_secret(run.error)


@pytest.mark.parametrize("style", ["decimal", "hex"])
async def test_an_entity_encoded_key_is_redacted(alice_provider, upstream, alice_socket, style):
    upstream.script(Reply(openai_error(f"Incorrect API key {entities(KEY, style)}"), status=401))

    frames, run = await run_on(alice_socket, alice_provider)

    assert "Incorrect API key [the API key]" in run.error
    assert_no_secret(frames_text(frames))
    assert_no_secret(run.error)


async def test_a_key_with_named_entities_is_redacted(alice, upstream, alice_socket):
    key = "proj_" + KEY.replace("-", "_")
    provider = await sync_to_async(make_provider)(
        owner=alice, base_url=upstream.base_url, api_key=key
    )
    upstream.script(Reply(openai_error(f"Key {key.replace('_', '&lowbar;')} revoked"), status=401))

    frames, run = await run_on(alice_socket, provider)

    assert run.error.endswith("Key [the API key] revoked")
    assert key[len(key) // 2 :] not in frames_text(frames)
