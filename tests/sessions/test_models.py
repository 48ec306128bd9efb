"""The session model: its title follows the prompt until renamed; the trash."""

import pytest

from playground.sessions.models import TITLE_LENGTH, PlaygroundSession

from ..factories import make_session

pytestmark = pytest.mark.django_db


def test_the_title_is_the_start_of_the_prompt(alice):
    session = PlaygroundSession(owner=alice, prompt="  Write a   haiku\nabout rain ")

    session.follow_prompt_title()

    assert session.title == "Write a haiku about rain"


def test_a_long_prompt_gives_a_shortened_title_with_an_ellipsis(alice):
    session = PlaygroundSession(owner=alice, prompt="word " * 40)

    session.follow_prompt_title()

    assert session.title.endswith("…")
    assert len(session.title) <= TITLE_LENGTH + 1
    assert session.title.startswith("word word")


def test_a_renamed_session_keeps_its_title_when_the_prompt_changes(alice):
    session = PlaygroundSession(owner=alice, title="My title", title_is_custom=True)
    session.prompt = "Something else entirely"

    session.follow_prompt_title()

    assert session.title == "My title"


def test_a_session_without_title_is_shown_as_untitled(alice):
    session = make_session(alice)

    assert session.title == ""
    assert session.display_title == "Untitled session"
    assert str(session) == "Untitled session"


def test_moving_to_the_trash_hides_the_session_from_its_owners_list(alice):
    session = make_session(alice, prompt="Old")

    session.move_to_trash()

    assert session.deleted_at is not None
    assert list(PlaygroundSession.objects.owned_by(alice)) == []
    assert list(PlaygroundSession.objects.in_trash_of(alice)) == [session]


def test_restoring_from_the_trash_brings_it_back(alice):
    session = make_session(alice, prompt="Old")
    session.move_to_trash()

    session.restore_from_trash()

    session.refresh_from_db()
    assert session.deleted_at is None
    assert list(PlaygroundSession.objects.owned_by(alice)) == [session]
    assert list(PlaygroundSession.objects.in_trash_of(alice)) == []


def test_owned_by_and_in_trash_of_never_return_another_users_sessions(alice, bob):
    make_session(bob, prompt="Bob's")
    make_session(bob, prompt="Bob's trashed").move_to_trash()

    assert list(PlaygroundSession.objects.owned_by(alice)) == []
    assert list(PlaygroundSession.objects.in_trash_of(alice)) == []


def test_matching_searches_titles_and_prompts_ignoring_case(alice):
    by_title = make_session(alice, title="Poems about RAIN", title_is_custom=True)
    by_prompt = make_session(alice, title="Other", title_is_custom=True, prompt="the rain falls")
    make_session(alice, prompt="Sunshine")

    found = set(PlaygroundSession.objects.owned_by(alice).matching("rain"))

    assert found == {by_title, by_prompt}


def test_an_empty_search_matches_everything(alice):
    sessions = {make_session(alice, prompt="a"), make_session(alice, prompt="b")}

    assert set(PlaygroundSession.objects.owned_by(alice).matching("")) == sessions


def test_the_most_recently_updated_session_comes_first(alice):
    older = make_session(alice, prompt="older")
    newer = make_session(alice, prompt="newer")
    assert list(PlaygroundSession.objects.owned_by(alice)) == [newer, older]

    older.prompt = "older, edited"
    older.save()

    assert list(PlaygroundSession.objects.owned_by(alice)) == [older, newer]
