"""POST /sessions/<id>/rename/: a new title, which then no longer follows the prompt."""

import pytest

pytestmark = pytest.mark.django_db


def test_it_renames_from_the_session_page(alice_client, session):
    response = alice_client.post(
        f"/sessions/{session.pk}/rename/",
        {"title": "  Capitals   quiz "},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert 'id="session-title"' in response.text
    assert 'value="Capitals quiz"' in response.text
    session.refresh_from_db()
    assert session.title == "Capitals quiz"
    assert session.title_is_custom


def test_it_renames_from_the_list_and_goes_back_there(alice_client, session):
    response = alice_client.post(
        f"/sessions/{session.pk}/rename/", {"title": "Quiz", "next": "/sessions/?q=cap&page=1"}
    )

    assert response.status_code == 302
    assert response.url == "/sessions/?q=cap&page=1"
    session.refresh_from_db()
    assert session.title == "Quiz"


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/sessions/", "javascript:alert(1)"]
)
def test_it_never_redirects_off_site(alice_client, session, next_url):
    response = alice_client.post(
        f"/sessions/{session.pk}/rename/", {"title": "Quiz", "next": next_url}
    )

    assert response.status_code == 302
    assert response.url == f"/sessions/{session.pk}/"


def test_the_renamed_title_no_longer_follows_the_prompt(alice_client, session):
    alice_client.post(f"/sessions/{session.pk}/rename/", {"title": "Quiz"})

    alice_client.post(f"/sessions/{session.pk}/autosave/", {"prompt": "Something else"})

    session.refresh_from_db()
    assert session.title == "Quiz"


def test_an_empty_title_is_refused(alice_client, session):
    response = alice_client.post(
        f"/sessions/{session.pk}/rename/", {"title": "   "}, headers={"HX-Request": "true"}
    )

    assert "A title cannot be empty." in response.text
    session.refresh_from_db()
    assert session.title == "The capital of France is"
    assert not session.title_is_custom


def test_an_empty_title_from_the_list_says_why(alice_client, session):
    response = alice_client.post(
        f"/sessions/{session.pk}/rename/", {"title": "", "next": "/sessions/"}, follow=True
    )

    assert "A title cannot be empty." in response.text


def test_a_title_with_markup_is_shown_as_text(alice_client, session):
    alice_client.post(f"/sessions/{session.pk}/rename/", {"title": "<img src=x onerror=alert(1)>"})

    content = alice_client.get("/sessions/").text

    assert "<img src=x" not in content
    assert "&lt;img src=x onerror=alert(1)&gt;" in content


def test_a_session_in_the_trash_is_404(alice_client, trashed_session):
    response = alice_client.post(f"/sessions/{trashed_session.pk}/rename/", {"title": "New"})

    assert response.status_code == 404


def test_outsider_gets_404(bob_client, session):
    response = bob_client.post(f"/sessions/{session.pk}/rename/", {"title": "Bob's now"})

    assert response.status_code == 404
    session.refresh_from_db()
    assert session.title == "The capital of France is"


def test_anonymous_users_are_sent_to_log_in(client, session):
    response = client.post(f"/sessions/{session.pk}/rename/", {"title": "Anyone's"})

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    session.refresh_from_db()
    assert session.title == "The capital of France is"


def test_it_rejects_get(alice_client, session):
    assert alice_client.get(f"/sessions/{session.pk}/rename/").status_code == 405
