"""The viewer's socket and live demos, through the real ASGI stack."""

import pytest
from channels.db import database_sync_to_async

from playground.sessions.models import PlaygroundSession
from playground.sharing.models import SessionShare

from ..execution.helpers import receive_until, run_message
from ..factories import API_KEY
from ..fake_upstream import SSE, completion_chunk, token_stream

pytestmark = pytest.mark.django_db(transaction=True)

SECRETS = (API_KEY, "org-SECRET-HEADER-VALUE")


@database_sync_to_async
def point_provider_at(session, upstream):
    provider = session.provider
    provider.base_url = upstream.base_url
    provider.save()
    return provider


@database_sync_to_async
def share_state(session):
    return SessionShare.objects.get(session=session)


async def go_live(connect, alice, session):
    presenter = await connect(alice)
    await presenter.send_json_to({"action": "live.start", "session": session.pk})
    frames = await receive_until(presenter, "live.started")
    return presenter, frames[-1]


async def test_a_viewer_gets_the_sessions_state(connect, bob, link_share):
    viewer = await connect(bob, path=f"/ws/watch/{link_share.token}/")

    state = await viewer.receive_json_from()

    assert state["type"] == "live.state"
    assert state["live"] is False
    assert state["prompt"] == "Write a haiku about <b>bold</b> rain"
    assert state["parameters"]["temperature"] == "0.7"
    assert state["provider"] == "Alice's secret provider"
    for secret in SECRETS:
        assert secret not in str(state)


async def test_the_state_comes_rendered_for_the_share_page(connect, bob, link_share):
    viewer = await connect(bob, path=f"/ws/watch/{link_share.token}/")

    html = (await viewer.receive_json_from())["html"]

    # Each piece of the page's view, swapped in by its id.
    for piece in ("shared-title", "shared-prompt", "shared-parameters"):
        assert f'id="{piece}"\n' in html or f'id="{piece}" ' in html
    assert html.count('hx-swap-oob="true"') == 3
    assert "Write a haiku about &lt;b&gt;bold&lt;/b&gt; rain" in html
    assert "<b>" not in html
    assert "Alice&#x27;s secret provider" in html
    assert "<dt>temperature</dt>" in html and "0.7" in html and "0, ." not in html
    assert "\\n" in html  # the stop sequence, as typed
    for secret in SECRETS:
        assert secret not in html


async def test_parameters_left_empty_are_left_out(connect, bob, link_share):
    session = link_share.session
    session.parameters = {"stop": ["", ""], "logit_bias_token": [""], "logit_bias_bias": [""]}
    await database_sync_to_async(session.save)()
    viewer = await connect(bob, path=f"/ws/watch/{link_share.token}/")

    state = await viewer.receive_json_from()

    assert state["parameters"] == {}
    assert "<dt>" not in state["html"].split("<dt>model</dt>")[1]


async def test_each_edit_while_live_reaches_viewers_rendered(
    connect, alice, alice_client, bob, link_share
):
    session = link_share.session
    presenter, _ = await go_live(connect, alice, session)
    viewer = await connect(bob, path=f"/ws/watch/{link_share.token}/")
    await viewer.receive_json_from()

    await database_sync_to_async(alice_client.post)(
        f"/sessions/{session.pk}/autosave/",
        {
            "provider": session.provider_id,
            "model": "fake-model",
            "prompt": "Rain <i>now</i>",
            "temperature": "1.3",
        },
    )

    state = (await receive_until(viewer, "live.state"))[-1]
    assert state["prompt"] == "Rain <i>now</i>"
    assert "Rain &lt;i&gt;now&lt;/i&gt;" in state["html"]
    assert "1.3" in state["html"]
    await presenter.disconnect()


async def test_an_unknown_token_is_refused(connect, bob, link_share):
    assert await connect(bob, path="/ws/watch/nope/") is None


async def test_anonymous_viewers_are_refused_by_default(connect, link_share):
    assert await connect(None, path=f"/ws/watch/{link_share.token}/") is None


async def test_anonymous_viewers_may_watch_when_allowed(connect, link_share, settings):
    settings.PLAYGROUND_ANONYMOUS_SHARE_LINKS = True

    viewer = await connect(None, path=f"/ws/watch/{link_share.token}/")

    assert (await viewer.receive_json_from())["type"] == "live.state"


async def test_a_team_member_watches_and_an_outsider_is_refused(connect, bob, charlie, team_share):
    path = f"/ws/watch/team/{team_share.session_id}/"

    assert await connect(bob, path=path) is not None
    assert await connect(charlie, path=path) is None


async def test_viewer_messages_change_nothing(connect, bob, alice, link_share, upstream):
    session = link_share.session
    await point_provider_at(session, upstream)
    presenter, _ = await go_live(connect, alice, session)
    viewer = await connect(bob, path=f"/ws/watch/{link_share.token}/")
    await viewer.receive_json_from()

    hostile = [
        {"action": "run", "session": session.pk, "provider": session.provider_id, "prompt": "x"},
        {"action": "stop"},
        {"action": "live.stop", "session": session.pk},
        {"action": "live.start", "session": session.pk},
        {"type": "live.frame", "frame": {"type": "live.ended"}},
        "not json at all",
    ]
    for message in hostile:
        if isinstance(message, str):
            await viewer.send_to(text_data=message)
        else:
            await viewer.send_json_to(message)
        reply = await viewer.receive_json_from()
        assert reply["type"] == "error"
        assert "read-only" in reply["error"]

    assert upstream.completion_requests == []
    assert (await share_state(session)).is_live
    assert await database_sync_to_async(session.runs.count)() == 1
    await presenter.disconnect()


async def test_a_private_session_cannot_go_live(connect, alice, alice_session):
    presenter = await connect(alice)

    await presenter.send_json_to({"action": "live.start", "session": alice_session.pk})

    reply = await presenter.receive_json_from()
    assert reply["type"] == "error"
    assert "Share the session" in reply["error"]


async def test_nobody_else_can_take_a_session_live(connect, bob, link_share):
    intruder = await connect(bob)

    await intruder.send_json_to({"action": "live.start", "session": link_share.session_id})

    assert (await intruder.receive_json_from())["type"] == "error"
    assert not (await share_state(link_share.session)).is_live


async def test_viewers_watch_the_presenters_run_token_by_token(
    connect, alice, bob, link_share, upstream
):
    session = link_share.session
    provider = await point_provider_at(session, upstream)
    tokens = ["Soft", " rain", " on", " the", " roof"]
    upstream.script(SSE(token_stream(tokens), delay=0.03))
    viewer = await connect(bob, path=f"/ws/watch/{link_share.token}/")
    await viewer.receive_json_from()
    presenter, _started = await go_live(connect, alice, session)

    went_live = await receive_until(viewer, "live.state")
    assert went_live[-1]["live"] is True
    await presenter.send_json_to(run_message(provider, session=session.pk, prompt="Rain"))
    seen = await receive_until(viewer, "run.finished")

    assert next(f["type"] for f in seen) == "run.started"
    text = "".join(f["choices"]["0"] for f in seen if f["type"] == "delta")
    assert text == "".join(tokens)
    finished = seen[-1]
    assert finished["status"] == "completed"
    assert "Soft" in finished["html"]
    assert "Restore" not in finished["html"] and "View code" not in finished["html"]
    for secret in SECRETS:
        assert secret not in str(seen)


async def test_viewers_get_each_tokens_logprobs_after_its_text(
    connect, alice, bob, link_share, upstream
):
    session = link_share.session
    provider = await point_provider_at(session, upstream)
    tokens = [["Soft", -0.5, {"Soft": -0.5}], [" rain", -1.25, None], [" falls", -0.25, None]]
    events = [
        completion_chunk(
            text, logprobs={"tokens": [text], "token_logprobs": [lp], "top_logprobs": [top]}
        )
        for text, lp, top in tokens
    ]
    upstream.script(SSE(events, delay=0.03))
    viewer = await connect(bob, path=f"/ws/watch/{link_share.token}/")
    await viewer.receive_json_from()
    presenter, _started = await go_live(connect, alice, session)
    await receive_until(viewer, "live.state")

    await presenter.send_json_to(
        run_message(provider, session=session.pk, prompt="Rain", logprobs="1")
    )
    seen = await receive_until(viewer, "run.finished")

    text, received = "", []
    for frame in seen:
        if frame["type"] == "delta":
            text += frame["choices"]["0"]
        if frame["type"] == "tokens":
            received += frame["choices"]["0"]
            assert text.startswith("".join(token[0] for token in received))
    assert received == tokens
    assert text == "Soft rain falls"


async def test_the_presenter_sees_the_viewer_count(connect, alice, bob, charlie, link_share):
    presenter, started = await go_live(connect, alice, link_share.session)
    assert started["viewers"] == 0

    first = await connect(bob, path=f"/ws/watch/{link_share.token}/")
    counts = await receive_until(presenter, "live.viewers")
    assert counts[-1]["count"] == 1
    await connect(charlie, path=f"/ws/watch/{link_share.token}/")
    assert (await receive_until(presenter, "live.viewers"))[-1]["count"] == 2
    await first.disconnect()
    assert (await receive_until(presenter, "live.viewers"))[-1]["count"] == 1


async def test_viewers_see_the_demo_end_when_the_presenter_stops(connect, alice, bob, link_share):
    presenter, _ = await go_live(connect, alice, link_share.session)
    viewer = await connect(bob, path=f"/ws/watch/{link_share.token}/")
    await viewer.receive_json_from()

    await presenter.send_json_to({"action": "live.stop"})

    assert (await receive_until(viewer, "live.ended"))[-1]["type"] == "live.ended"
    assert not (await share_state(link_share.session)).is_live


async def test_viewers_see_the_demo_end_when_the_presenter_leaves(connect, alice, bob, link_share):
    presenter, _ = await go_live(connect, alice, link_share.session)
    viewer = await connect(bob, path=f"/ws/watch/{link_share.token}/")
    await viewer.receive_json_from()

    await presenter.disconnect()

    assert (await receive_until(viewer, "live.ended"))[-1]["type"] == "live.ended"
    assert not (await share_state(link_share.session)).is_live


async def test_runs_stay_on_the_share_page_after_the_demo(
    connect, client, alice, bob, link_share, upstream
):
    session = link_share.session
    provider = await point_provider_at(session, upstream)
    presenter, _ = await go_live(connect, alice, session)
    await presenter.send_json_to(run_message(provider, session=session.pk, prompt="Rain"))
    await receive_until(presenter, "run.finished")
    await presenter.disconnect()

    await database_sync_to_async(client.force_login)(bob)
    page = await database_sync_to_async(client.get)(f"/s/{link_share.token}/")

    assert "Hello, world" in page.content.decode()
    run_count = await database_sync_to_async(
        lambda: PlaygroundSession.objects.get(pk=session.pk).runs.count()
    )()
    assert run_count == 2
