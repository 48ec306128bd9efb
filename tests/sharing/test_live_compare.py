"""A comparison presented live: the viewers see every column stream, and then its figures;
the share page shows the newest comparison, without its pruned columns."""

import json
import re

import pytest
from channels.db import database_sync_to_async

from playground.runs.models import Comparison, Run

from ..execution.helpers import page_message, receive_until
from ..factories import make_provider, make_run, make_user
from ..fake_upstream import SSE, token_stream

pytestmark = pytest.mark.django_db(transaction=True)


async def test_the_viewers_see_every_column_stream(connect, alice, bob, link_share, upstream):
    session = link_share.session
    provider = await database_sync_to_async(make_provider)(
        owner=alice, base_url=upstream.base_url, name="Fake upstream"
    )
    words = {"m-a": [" falls"], "m-b": [" stops", "."]}
    upstream.respond_with(
        lambda body: SSE(token_stream(words[body["model"]], finish_reason="stop"))
    )
    presenter = await connect(alice)
    await presenter.send_json_to({"action": "live.start", "session": session.pk})
    await receive_until(presenter, "live.started")
    viewer = await connect(bob, path=f"/ws/watch/{link_share.token}/")
    await viewer.receive_json_from()  # live.state

    await presenter.send_json_to(
        page_message(
            provider,
            action="compare",
            session=str(session.pk),
            prompt="Rain",
            columns=[{"model": "m-a"}, {"model": "m-b"}],
        )
    )
    frames = await receive_until(viewer, "compare.finished")

    started = next(f for f in frames if f["type"] == "compare.started")
    runs = {c["run"]: c["model"] for c in started["columns"]}
    texts: dict[str, str] = {}
    for frame in frames:
        if frame["type"] == "delta":
            model = runs[frame["run"]]
            texts[model] = texts.get(model, "") + frame["choices"]["0"]
    assert texts == {"m-a": " falls", "m-b": " stops."}
    finished = [f for f in frames if f["type"] == "column.finished"]
    assert sorted(f["column"] for f in finished) == [0, 1]
    await presenter.disconnect()
    await viewer.disconnect()


def test_the_share_page_shows_the_newest_comparison_without_pruned_columns(
    client, alice, link_share
):
    from django.utils import timezone

    session = link_share.session
    comparison = Comparison.objects.create(
        owner=alice, session=session, columns=[{"model": "m-a"}, {"model": "m-b"}]
    )
    kept, pruned = (
        make_run(
            alice,
            session=session,
            model=model,
            comparison=comparison,
            column=column,
            choices=[{"index": 0, "text": text, "logprobs": None, "finish_reason": "stop"}],
        )
        for column, (model, text) in enumerate([("m-a", " <b>kept</b>"), ("m-b", " PRUNED")])
    )
    Run.objects.filter(pk=pruned.pk).update(pruned_at=timezone.now())

    client.force_login(make_user("carol"))
    page = client.get(f"/s/{link_share.token}/").content.decode()

    data = json.loads(
        re.search(r'<script id="comparison-data" type="application/json">(.*?)</script>', page)[1]
    )
    assert [(r["run"], r["text"]) for r in data["results"]] == [(kept.pk, " <b>kept</b>")]
    assert "PRUNED" not in page
    assert "<b>kept</b>" not in page  # escaped in the JSON, never markup
