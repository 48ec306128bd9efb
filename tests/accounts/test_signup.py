"""/accounts/signup/: closed unless PLAYGROUND_OPEN_SIGNUP is on."""

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model

pytestmark = pytest.mark.django_db

NEW_ACCOUNT = {
    "username": "dora",
    "password1": "a-long-unusual-passphrase-42",
    "password2": "a-long-unusual-passphrase-42",
}


@pytest.fixture
def open_signup(settings):
    settings.PLAYGROUND_OPEN_SIGNUP = True


def test_it_is_404_when_signup_is_closed(client, settings):
    settings.PLAYGROUND_OPEN_SIGNUP = False

    assert client.get("/accounts/signup/").status_code == 404
    assert client.post("/accounts/signup/", NEW_ACCOUNT).status_code == 404
    assert not get_user_model().objects.filter(username="dora").exists()


def test_the_login_page_hides_the_link_when_signup_is_closed(client, settings):
    settings.PLAYGROUND_OPEN_SIGNUP = False

    assert b"/accounts/signup/" not in client.get("/accounts/login/").content


@pytest.mark.usefixtures("open_signup")
def test_the_login_page_links_to_signup_when_open(client):
    assert b"/accounts/signup/" in client.get("/accounts/login/").content


@pytest.mark.usefixtures("open_signup")
def test_it_shows_the_form_when_open(client):
    response = client.get("/accounts/signup/")

    assert response.status_code == 200
    assert b'name="password1"' in response.content


@pytest.mark.usefixtures("open_signup")
def test_it_creates_the_account_and_logs_in(client):
    response = client.post("/accounts/signup/", NEW_ACCOUNT)

    assert response.status_code == 302
    assert response.url == "/"
    user = get_user_model().objects.get(username="dora")
    assert client.session[SESSION_KEY] == str(user.pk)
    assert not user.is_staff


@pytest.mark.usefixtures("open_signup")
def test_it_rejects_mismatched_passwords(client):
    response = client.post("/accounts/signup/", {**NEW_ACCOUNT, "password2": "something-else-1"})

    assert response.status_code == 200
    assert not get_user_model().objects.filter(username="dora").exists()


@pytest.mark.usefixtures("open_signup")
def test_it_rejects_a_taken_username(client, alice):
    response = client.post("/accounts/signup/", {**NEW_ACCOUNT, "username": "alice"})

    assert response.status_code == 200
    assert get_user_model().objects.filter(username="alice").count() == 1
