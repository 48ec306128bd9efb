"""A provider's page while its probe waits for the background worker: the results come in
without a reload once the worker has run it (a real db_worker on the live server's database)."""

import pytest
from playwright.sync_api import expect

from ..providers.fake_provider import OPENAI, openai_like
from ..support.live_worker import queue_probe, running, wait_for_task, worker_command

pytestmark = pytest.mark.browser


def test_the_probes_results_show_without_a_reload(
    new_context, daphne_server, live_alice, live_alice_provider, upstream, tmp_path
):
    upstream.respond_with(openai_like(OPENAI))
    task = queue_probe(daphne_server, live_alice_provider)
    page = new_context(user=live_alice).new_page()
    page.goto(f"/providers/{live_alice_provider}/")
    status = page.get_by_role("status").filter(has_text="A probe of fake-model was queued at")
    expect(status).to_be_visible()
    page.evaluate("window.loadedOnce = true")

    log = tmp_path / "worker.log"
    with running(worker_command(daphne_server), daphne_server, log):
        assert wait_for_task(daphne_server, task, log) == "SUCCESSFUL"
        expect(page.get_by_text("Most logprobs alternatives per token")).to_be_visible(
            timeout=15_000
        )

    expect(status).to_have_count(0)
    # The same page, not a reload.
    assert page.evaluate("window.loadedOnce") is True


def test_a_page_whose_login_ended_stops_asking_for_the_panel(
    new_context, daphne_server, live_alice, live_alice_provider
):
    queue_probe(daphne_server, live_alice_provider)
    context = new_context(user=live_alice)
    page = context.new_page()
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/capabilities/panel/" in r.url else None)
    page.goto(f"/providers/{live_alice_provider}/")
    expect(page.get_by_role("status").filter(has_text="was queued at")).to_be_visible()

    # Logged out (as by another tab): the next asking says so, in the panel.
    context.clear_cookies()
    alert = page.get_by_role("alert").filter(has_text="Your login has ended")
    expect(alert).to_be_visible(timeout=10_000)
    expect(page.get_by_role("link", name="log in again")).to_be_visible()
    asked_then = len(asked)
    # And it asks no more: the panel asks every 3 s while it polls.
    page.wait_for_timeout(4_000)
    assert len(asked) == asked_then
