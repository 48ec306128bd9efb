"""Any value in any field of the page's HTTP forms: never a server error, always an answer."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given
from hypothesis import strategies as st

from ..factories import make_session
from .examples import fuzz_settings
from .strategies import field_text, form_posts, id_text, json_values

pytestmark = pytest.mark.django_db

FUZZ = fuzz_settings(80)


@pytest.fixture
def session(alice, alice_provider):
    return make_session(alice, alice_provider, prompt="The capital of France is")


@FUZZ
@given(data=form_posts(max_values=4))
def test_autosave_answers_any_form(alice_client, session, data):
    response = alice_client.post(f"/sessions/{session.pk}/autosave/", data)

    assert response.status_code == 200
    assert "Saved" in response.text or "Not saved: " in response.text


@FUZZ
@given(title=field_text, next_url=field_text, htmx=st.booleans())
def test_rename_answers_any_title(alice_client, session, title, next_url, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    response = alice_client.post(
        f"/sessions/{session.pk}/rename/", {"title": title, "next": next_url}, headers=headers
    )

    assert response.status_code < 500


@FUZZ
@given(query=field_text, page=field_text)
def test_the_session_list_answers_any_search(alice_client, session, query, page):
    response = alice_client.get("/sessions/", {"q": query, "page": page})

    assert response.status_code == 200


@FUZZ
@given(provider=id_text | field_text)
def test_the_model_list_answers_any_provider_id(alice_client, alice_provider, provider):
    response = alice_client.get("/providers/models/", {"provider": provider})

    assert response.status_code in (200, 404)


@FUZZ
@given(
    content=st.one_of(
        st.binary(max_size=200),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.fixed_dictionaries(
            {"format": st.just("completions-playground/session"), "version": st.just(1)},
            optional={"session": json_values, "runs": json_values},
        ).map(lambda v: json.dumps(v).encode()),
    )
)
def test_import_answers_any_file(alice_client, content):
    upload = SimpleUploadedFile("session.json", content, content_type="application/json")
    response = alice_client.post("/sessions/import/", {"file": upload}, follow=True)

    assert response.status_code == 200
    assert "Nothing was imported: " in response.text or "Imported “" in response.text


@FUZZ
@given(
    data=st.dictionaries(
        st.sampled_from(
            [
                "name",
                "base_url",
                "auth_style",
                "default_model",
                "api_key",
                "clear_api_key",
                "extra_headers",
                "clear_extra_headers",
            ]
        ),
        field_text,
    )
)
def test_the_provider_form_answers_any_values(alice_client, data):
    response = alice_client.post("/providers/new/", data)

    assert response.status_code in (200, 302)


@FUZZ
@given(data=st.dictionaries(st.sampled_from(["visibility", "team"]), field_text))
def test_the_share_form_answers_any_values(alice_client, session, data):
    response = alice_client.post(f"/sessions/{session.pk}/share/", data)

    assert response.status_code in (200, 302)


async def no_wait(seconds):
    """Login waits (PLAYGROUND_LOGIN_SLEEP) are skipped: the answer is what is checked."""


@pytest.fixture
def login_behind_a_trusted_proxy(settings):
    settings.PLAYGROUND_LOGIN_SLEEP = f"{__name__}.no_wait"
    settings.PLAYGROUND_TRUSTED_PROXIES = ["10.9.0.0/16", "::1"]


@FUZZ
@given(
    username=field_text,
    password=field_text,
    peer=st.sampled_from(["10.9.0.1", "::1", "198.51.100.7"]) | field_text,
    forwarded_for=field_text,
)
def test_the_login_form_answers_any_values(
    client, alice, login_behind_a_trusted_proxy, username, password, peer, forwarded_for
):
    response = client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=peer,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )

    assert response.status_code in (200, 302)
