"""A dataset run as a person makes one, on a phone-sized screen: a CSV pasted, a session run
over it in the background worker, its progress followed live, stopped, resumed, exported."""

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.live_worker import running, worker_command

from ..fake_upstream import Reply, completion_response

pytestmark = pytest.mark.browser

ROWS = 24


def slow_capital(body):
    # 24 rows, 4 at a time, 0.4 s each: a few seconds, time enough to press Stop.
    city = re.fullmatch(r"The capital of (.*) is", body["prompt"])[1]
    return Reply(completion_response([f" {city}ville"]), delay=0.4)


def test_a_pasted_dataset_is_run_stopped_resumed_and_exported(
    new_context, daphne_server, live_alice, live_alice_provider, upstream, tmp_path
):
    upstream.respond_with(slow_capital)
    daphne_server.django(
        """
        from django.contrib.auth import get_user_model
        from playground.providers.models import Provider
        from tests.factories import make_session
        alice = get_user_model().objects.get(pk=params["alice"])
        make_session(
            alice, provider=Provider.objects.get(pk=params["provider"]),
            prompt="The capital of {{city}} is", title="Capitals", title_is_custom=True,
        )
        result = None
        """,
        alice=live_alice.pk,
        provider=live_alice_provider,
    )
    page = new_context(user=live_alice, viewport={"width": 390, "height": 800}).new_page()
    page.goto("/datasets/new/")
    page.get_by_label("Name").fill("Cities")
    lines = [f"City{i},City{i}ville" for i in range(ROWS)]
    page.get_by_label("Paste CSV").fill("city,expected\n" + "\n".join(lines) + "\n")
    page.get_by_role("button", name="Store the dataset").click()
    page.get_by_role("link", name="Run over this dataset").click()
    page.get_by_role("combobox", name="Session").select_option(label="Capitals")

    with running(worker_command(daphne_server), daphne_server, tmp_path / "worker.log"):
        page.get_by_role("button", name="Start the run").click()
        progress = page.locator("#run-progress")
        # Live: the page is not reloaded while the rows are done. The worker process has
        # just been started: on a busy machine it takes more than 5 s to be ready.
        expect(progress).to_have_attribute("data-status", "running", timeout=30_000)
        expect(progress.locator(".count-done")).to_have_text(re.compile(r"^([4-9]|1\d) done$"))
        progress.get_by_role("button", name="Stop").click()

        expect(progress).to_have_attribute("data-status", "stopped")
        expect(progress).to_contain_text("cancelled")
        stopped_done = int(progress.get_attribute("data-done"))
        assert stopped_done < ROWS
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        progress.get_by_role("button", name="Resume").click()
        expect(progress).to_have_attribute("data-status", "finished", timeout=30_000)
        expect(progress.locator(".count-done")).to_have_text(f"{ROWS} done")
        # The rows and the column's figures, shown as they were while the run went, are
        # fetched again once it ends: no row is left saying "Pending".
        expect(page.locator(".run-column-summary")).to_contain_text(f"{ROWS} done, 0 failed")
        first_row = page.locator(".result-row").first
        expect(first_row.locator(".choice-text")).to_have_text(" City0ville")
        expect(page.locator(".result-cell[data-status=pending]")).to_have_count(0)

    # Resume ran only the rows that were cancelled: each row went upstream once.
    prompts = [request.body["prompt"] for request in upstream.completion_requests]
    assert sorted(prompts) == sorted(f"The capital of City{i} is" for i in range(ROWS))

    # The page already shows them all: there is nothing to reload for.
    expect(page.locator(".result-row")).to_have_count(ROWS)
    expect(page.locator(".result-row").first.locator(".choice-text")).to_have_text(" City0ville")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    exported = list(csv.DictReader(io.StringIO(text)))
    assert len(exported) == ROWS
    assert {line["status"] for line in exported} == {"done"}
    assert all(line["exact"] == "True" for line in exported)

    # A cell opens in the editor as a session of its own: the row's prompt, then the output.
    page.locator(".result-row").nth(2).get_by_role("button", name="Open as a session").click()
    expect(page).to_have_url(re.compile(r"/sessions/\d+/$"))
    expect(page.get_by_label("Prompt", exact=True)).to_have_value(
        "The capital of City2 is City2ville"
    )
    expect(page.locator("#socket-state")).to_have_attribute("data-state", "open")
    # The cell's completion is the session's run: generated text, and a node of the tree.
    expect(page.locator("#document-backdrop .look-generated")).to_have_text([" City2ville"])
    expect(page.locator('#tree [role="treeitem"]')).to_have_count(1)
