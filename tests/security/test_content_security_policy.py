"""Every page is sent with a Content-Security-Policy that allows no inline script."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from playground.sharing.models import SessionShare, Visibility, new_token

from ..factories import make_provider, make_run, make_session, make_user

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    parsed = {}
    for directive in policy.split(";"):
        name, *values = directive.split()
        parsed[name] = values
    return parsed


@pytest.fixture
def pages(alice, bob):
    """Every kind of page, by whom it is seen."""
    team = Group.objects.create(name="Team")
    alice.groups.add(team)
    bob.groups.add(team)
    provider = make_provider(owner=alice)
    session = make_session(alice, provider, prompt="Once upon a time")
    run = make_run(alice, provider, session=session)
    link = SessionShare.objects.create(
        session=session, visibility=Visibility.LINK, token=new_token()
    )
    team_session = make_session(alice, provider, prompt="For the team")
    SessionShare.objects.create(session=team_session, visibility=Visibility.TEAM, team=team)
    staff = make_user("staff", is_staff=True, is_superuser=True)
    return {
        None: ["/accounts/login/", "/accounts/signup/", "/no-such-page/", "/admin/login/"],
        alice: [
            "/",
            f"/sessions/{session.pk}/",
            "/sessions/",
            "/sessions/trash/",
            "/providers/",
            "/providers/new/",
            f"/providers/{provider.pk}/",
            f"/runs/{run.pk}/",
            f"/runs/{run.pk}/code/",
            f"/sessions/{session.pk}/share/",
            f"/sessions/{session.pk}/present/",
            "/accounts/password/",
        ],
        bob: [f"/s/{link.token}/", f"/team/{team_session.pk}/"],
        staff: ["/admin/", "/admin/providers/provider/"],
    }


def test_every_page_is_sent_with_a_policy_allowing_no_inline_script(pages, settings):
    settings.PLAYGROUND_OPEN_SIGNUP = True
    seen = 0
    for user, urls in pages.items():
        client = Client()
        if user is not None:
            client.force_login(user)
        for url in urls:
            response = client.get(url, follow=True)
            assert response.status_code == (404 if "no-such" in url else 200), url
            assert response["Content-Type"].startswith("text/html"), url
            policy = directives(response)
            assert policy["script-src"] == ["'self'"], url
            assert policy["style-src"] == ["'self'"], url
            assert policy["object-src"] == ["'none'"], url
            assert policy["frame-ancestors"] == ["'none'"], url
            seen += 1
    assert seen == sum(len(urls) for urls in pages.values())


def test_the_policy_allows_nothing_inline_nor_eval(client):
    response = client.get("/accounts/login/")

    policy = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "unsafe-hashes" not in policy
    assert directives(response)["default-src"] == ["'self'"]


def test_pages_carry_no_inline_script_or_handler(pages, settings):
    """What the policy would block is not on the pages at all, so nothing breaks silently."""
    settings.PLAYGROUND_OPEN_SIGNUP = True
    for user, urls in pages.items():
        client = Client()
        if user is not None:
            client.force_login(user)
        for url in urls:
            if url.startswith("/admin/"):
                continue  # Django's own templates.
            html = client.get(url, follow=True).content.decode()
            for script in html.split("<script")[1:]:
                tag, _, body = script.partition(">")
                assert "src=" in tag or 'type="application/json"' in tag, (url, tag)
                # Data for the scripts (json_script) is never run; anything else would be.
                assert body.startswith("</script>") or 'type="application/json"' in tag, url
            assert " style=" not in html, url
            assert " onclick=" not in html and " onload=" not in html, url
            assert "hx-on" not in html and "javascript:" not in html, url


def test_a_missing_page_in_debug_mode_has_the_policy_too(client, settings):
    """README promises the policy on every page in every mode: Django's debug 404 too."""
    settings.DEBUG = True

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert directives(response)["script-src"] == ["'self'"]
