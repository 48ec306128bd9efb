"""GET /sessions/: the user's sessions, newest first, searchable, a page at a time."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from playground.sessions.models import PlaygroundSession
from playground.sessions.views import SESSIONS_PER_PAGE

from ..factories import make_run, make_session

pytestmark = pytest.mark.django_db


def titles(content: str) -> list[str]:
    return re.findall(r'<a href="/sessions/\d+/">([^<]*)</a>', content)


def test_it_lists_the_sessions_newest_first(alice, alice_client):
    for prompt in ("first", "second", "third"):
        make_session(alice, prompt=prompt)

    response = alice_client.get("/sessions/")

    assert response.status_code == 200
    assert titles(response.text) == ["third", "second", "first"]


def test_a_session_worked_on_moves_to_the_top(alice, alice_client):
    older = make_session(alice, prompt="older")
    make_session(alice, prompt="newer")
    older.prompt = "older, edited"
    older.follow_prompt_title()
    older.save()

    assert titles(alice_client.get("/sessions/").text) == ["older, edited", "newer"]


def test_it_shows_the_last_runs_time_and_model(alice, alice_client, provider):
    session = make_session(alice, provider, prompt="Ran twice")
    make_run(alice, provider, session=session, model="model-early")
    make_run(alice, provider, session=session, model="model-latest")
    last_run_at = timezone.now() - timedelta(days=3)
    session.last_run_at = last_run_at
    # Since the last run, the form was switched to another model, not run yet.
    session.model = "model-not-run-yet"
    session.save()

    content = alice_client.get("/sessions/").text

    row = re.search(
        r"<tr>\s*<td>\s*<a href=\"/sessions/\d+/\">Ran twice</a>.*?</tr>", content, re.S
    )
    assert row is not None
    assert last_run_at.strftime("%Y-%m-%d") in row.group(0)
    assert "model-latest" in row.group(0)
    assert "model-early" not in row.group(0)


def test_a_session_never_run_says_so(alice, alice_client):
    make_session(alice, prompt="Not yet")

    assert "never" in alice_client.get("/sessions/").text


def test_it_never_lists_another_users_sessions(alice, bob, alice_client):
    make_session(bob, prompt="Bob's secret plan")

    content = alice_client.get("/sessions/").text

    assert "Bob&#x27;s secret plan" not in content
    assert "No sessions yet." in content


def test_it_never_lists_sessions_in_the_trash(alice, alice_client, trashed_session):
    assert "An old idea" not in alice_client.get("/sessions/").text


def test_the_search_finds_titles_and_prompt_text(alice, alice_client):
    make_session(alice, title="Poems about rain", title_is_custom=True, prompt="x")
    make_session(alice, title="Weather", title_is_custom=True, prompt="Will it RAIN today?")
    make_session(alice, prompt="Sunshine")

    content = alice_client.get("/sessions/", {"q": "rain"}).text

    assert sorted(titles(content)) == ["Poems about rain", "Weather"]


def test_a_search_that_finds_nothing_says_so(alice, alice_client):
    make_session(alice, prompt="Sunshine")

    content = alice_client.get("/sessions/", {"q": "<b>snow</b>"}).text

    assert titles(content) == []
    assert "No session matches “&lt;b&gt;snow&lt;/b&gt;”." in content


def test_the_search_never_finds_another_users_sessions(alice, bob, alice_client):
    make_session(bob, prompt="rain in Bob's session")

    assert titles(alice_client.get("/sessions/", {"q": "rain"}).text) == []


def test_htmx_searches_get_the_results_only(alice, alice_client):
    make_session(alice, prompt="rain")

    response = alice_client.get(
        "/sessions/",
        {"q": "rain"},
        headers={"HX-Request": "true", "HX-Target": "session-results"},
    )

    assert response.text.lstrip().startswith('<div id="session-results">')
    assert "<html" not in response.text
    assert titles(response.text) == ["rain"]


def test_sessions_come_a_page_at_a_time(alice, alice_client):
    PlaygroundSession.objects.bulk_create(
        PlaygroundSession(owner=alice, title=f"Session {n:02}", title_is_custom=True)
        for n in range(SESSIONS_PER_PAGE + 5)
    )

    first = alice_client.get("/sessions/").text
    second = alice_client.get("/sessions/", {"page": 2}).text

    assert len(titles(first)) == SESSIONS_PER_PAGE
    assert len(titles(second)) == 5
    assert not set(titles(first)) & set(titles(second))
    assert "Page 1 of 2" in first
    assert "?q=&amp;page=2" in first


def test_the_pages_keep_the_search(alice, alice_client):
    PlaygroundSession.objects.bulk_create(
        PlaygroundSession(owner=alice, title=f"rain {n}", title_is_custom=True)
        for n in range(SESSIONS_PER_PAGE + 1)
    )

    content = alice_client.get("/sessions/", {"q": "rain"}).text

    assert "?q=rain&amp;page=2" in content


def test_it_offers_import_and_the_trash(alice_client):
    content = alice_client.get("/sessions/").text

    assert 'action="/sessions/import/"' in content
    assert 'href="/sessions/trash/"' in content


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get("/sessions/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/sessions/"
