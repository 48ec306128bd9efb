"""A viewer whose access ends sees it said on the share page, which stops following."""

import pytest
from playwright.sync_api import expect

from playground.sharing.access import ACCESS_ENDED

pytestmark = pytest.mark.browser


def count_sockets(page) -> list:
    opened = []
    page.on("websocket", lambda socket: opened.append(socket.url))
    return opened


def test_a_viewer_cut_off_by_a_revoke_is_told_and_not_reconnected(
    daphne_server, new_context, live_alice, shared_session
):
    bob = daphne_server.create_user("bob")
    owner = new_context(user=live_alice).new_page()
    viewer = new_context(user=bob).new_page()
    sockets = count_sockets(viewer)
    viewer.goto(f"/s/{shared_session['token']}/")
    expect(viewer.locator("#watch")).to_have_attribute("data-socket", "open")

    owner.goto(f"/sessions/{shared_session['id']}/share/")
    owner.once("dialog", lambda dialog: dialog.accept())
    owner.get_by_role("button", name="Revoke").click()
    expect(owner.get_by_text("The session is private again")).to_be_visible()

    expect(viewer.locator("#access-ended")).to_have_text(ACCESS_ENDED)
    expect(viewer.locator("#watch")).to_have_attribute("data-socket", "closed")
    # Two reconnect delays of the page's backoff (1 s, then 2 s) pass without a new socket.
    viewer.wait_for_timeout(3500)
    assert len(sockets) == 1


def test_a_viewer_whose_link_was_replaced_while_away_is_told_on_return(
    daphne_server, new_context, live_alice, shared_session
):
    bob = daphne_server.create_user("bob")
    viewer = new_context(user=bob).new_page()
    viewer.goto(f"/s/{shared_session['token']}/")
    expect(viewer.locator("#watch")).to_have_attribute("data-socket", "open")

    daphne_server.stop()
    expect(viewer.locator("#watch")).to_have_attribute("data-socket", "closed")
    daphne_server.django(
        """
        from playground.sharing.models import SessionShare, new_token
        SessionShare.objects.filter(session_id=params["session"]).update(token=new_token())
        """,
        session=shared_session["id"],
    )
    daphne_server.start()

    # The socket is refused at its handshake; the share page's 404 says why.
    expect(viewer.locator("#access-ended")).to_have_text(ACCESS_ENDED, timeout=30_000)
    expect(viewer.locator("#watch")).to_have_attribute("data-access", "ended")
