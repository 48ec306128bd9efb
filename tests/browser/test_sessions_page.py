"""Saved sessions as a person uses them, in Chromium against a live daphne server."""

import json
import re

import pytest
from playwright.sync_api import Page, expect

from ..fake_upstream import SSE, token_stream

pytestmark = pytest.mark.browser

PROMPT = "The capital of France is"


def run_with_temperature(page: Page, temperature: str, runs_before: int) -> None:
    page.get_by_label("temperature", exact=True).fill(temperature)
    page.get_by_role("button", name="Submit").click()
    # The card of the run before moves to the history when this one starts.
    expect(page.locator("#run-history .run-card")).to_have_count(runs_before)
    card = page.locator("#live-run .run-card:not(.live)")
    expect(card).to_have_attribute("data-status", "completed")


def session_titles(page: Page):
    return page.locator("#session-results tbody td:first-child a")


def test_a_session_is_kept_restored_renamed_found_exported_and_imported(
    alice_page, upstream, daphne_server, tmp_path
):
    page = alice_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    session_url = page.url
    assert re.search(r"/sessions/\d+/$", session_url)
    upstream.script(
        SSE(token_stream([" Paris", "."], finish_reason="stop")),
        SSE(token_stream([" Lyon", "?"], finish_reason="stop")),
    )

    # 1. Write a prompt (it is saved, and titles the session), then run it twice.
    prompt = page.get_by_label("Prompt", exact=True)
    prompt.fill(PROMPT)
    expect(page.locator("#save-state")).to_have_text("Saved")
    expect(page.get_by_label("Session title")).to_have_value(PROMPT)
    run_with_temperature(page, "0.2", runs_before=0)
    run_with_temperature(page, "1.4", runs_before=1)
    assert [request.body["temperature"] for request in upstream.completion_requests] == [0.2, 1.4]
    # Each completion is written into the document, and the next one continues from it.
    assert [request.body["prompt"] for request in upstream.completion_requests] == [
        PROMPT,
        PROMPT + " Paris.",
    ]
    # The page's saves are based on the stored document with both runs in it.
    expect(page.locator("#id_document_version")).to_have_value("2")
    expect(page.locator("#save-state")).to_have_text("Saved")

    # 2. After a reload both runs are there, newest first, and the form is as it was left.
    page.reload()
    expect(page.locator("#socket-state")).to_have_attribute("data-state", "open")
    cards = page.locator("#run-history .run-card")
    expect(cards).to_have_count(2)
    expect(cards.nth(0).locator(".choice-text")).to_have_text(" Lyon?")
    expect(cards.nth(1).locator(".choice-text")).to_have_text(" Paris.")
    expect(cards.nth(0).locator(".changes")).to_contain_text("temperature 0.2 → 1.4")
    expect(cards.nth(0).locator(".finish")).to_have_text("finish_reason: stop")
    expect(page.get_by_label("temperature", exact=True)).to_have_value("1.4")
    expect(prompt).to_have_value(PROMPT + " Paris. Lyon?")
    page.screenshot(path=tmp_path / "session-page.png", full_page=True)

    # The newest run's request as code, highlighted, with a working copy button.
    cards.nth(0).get_by_role("button", name="View code").click()
    panel = cards.nth(0).locator(".code-panel")
    expect(panel.locator("summary")).to_have_text(
        ["curl", "Python (openai)", "JavaScript (fetch)", "Python (httpx)"]
    )
    expect(panel.locator("pre.highlight").first).to_contain_text(upstream.base_url)
    expect(panel.locator("pre.highlight span[class]").first).to_be_visible()
    panel.screenshot(path=tmp_path / "code-panel.png")
    panel.get_by_role("button", name="Copy").first.click()
    expect(panel.get_by_role("button", name="Copied")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(f"curl {upstream.base_url}/completions")
    assert '"temperature": 1.4' in copied

    # 3. Restore puts the first run's parameters back in the form.
    cards.nth(1).get_by_role("button", name="Restore").click()
    expect(page.get_by_label("temperature", exact=True)).to_have_value("0.2")
    expect(page).to_have_url(session_url)

    # Open in the editor shows that run's completion in the document, and it is saved.
    page.locator("#run-history .run-card").nth(1).get_by_role(
        "button", name="Open in the editor"
    ).click()
    expect(prompt).to_have_value(PROMPT + " Paris.")
    # It is the model's text, and looks it.
    expect(page.locator("#document-backdrop .look-generated")).to_have_text([" Paris."])
    expect(page.locator("#save-state")).to_have_text("Saved")

    # 4. Rename, then find the session in the list by searching.
    title = page.get_by_label("Session title")
    title.fill("Capitals quiz")
    page.locator("#session-title").get_by_role("button", name="Rename").click()
    expect(page.locator("#session-title input[name=title]")).to_have_value("Capitals quiz")

    page.get_by_role("link", name="All sessions").click()
    page.get_by_role("button", name="New session").click()  # another one, not to be found
    page.get_by_role("link", name="Sessions", exact=True).click()
    expect(session_titles(page)).to_have_count(2)
    page.get_by_label("Search titles and prompts").fill("capitals")
    expect(session_titles(page)).to_have_text(["Capitals quiz"])
    expect(page).to_have_url(re.compile(r"/sessions/\?q=capitals$"))
    row = page.locator("#session-results tbody tr").filter(has_text="Capitals quiz")
    expect(row).to_contain_text("fake-model")

    # 5. Export it, and import the file back as a new session.
    page.get_by_role("link", name="Capitals quiz").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export", exact=True).click()
    download = download_info.value
    exported = json.loads(download.path().read_text(encoding="utf-8"))
    assert download.suggested_filename.endswith(".json")
    assert exported["session"]["title"] == "Capitals quiz"
    assert len(exported["runs"]) == 2

    page.get_by_role("link", name="Sessions", exact=True).click()
    page.get_by_label("An exported session (.json)").set_input_files(download.path())
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".messages")).to_contain_text("Imported “Capitals quiz”.")
    expect(page).not_to_have_url(session_url)
    expect(page.get_by_label("Session title")).to_have_value("Capitals quiz")
    imported_cards = page.locator("#run-history .run-card")
    expect(imported_cards).to_have_count(2)
    expect(imported_cards.nth(0).locator(".choice-text")).to_have_text(" Lyon?")
    # The tree came along: the second completion grows from the first.
    expect(page.locator('#tree [role="treeitem"] [role="treeitem"] .node-label')).to_have_text(
        ["Lyon?"]
    )
    expect(prompt).to_have_value(PROMPT + " Paris.")
    imported_url = page.url

    # Deleting asks first, and the message's Undo brings the session back.
    page.get_by_role("link", name="Sessions", exact=True).click()
    # Newest first: the imported copy, the new session, then the original.
    expect(session_titles(page)).to_have_text(
        ["Capitals quiz", "Untitled session", "Capitals quiz"]
    )
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    imported_pk = re.search(r"/sessions/(\d+)/$", imported_url).group(1)
    page.locator(f'form[action="/sessions/{imported_pk}/delete/"] button').click()
    expect(page.locator(".messages")).to_contain_text("“Capitals quiz” moved to the trash.")
    assert dialogs == ["Move “Capitals quiz” to the trash?"]
    expect(session_titles(page)).to_have_count(2)
    page.locator(".messages").get_by_role("button", name="Undo").click()
    expect(page).to_have_url(imported_url)
    expect(page.locator(".messages")).to_contain_text("“Capitals quiz” restored.")

    # Deleted elsewhere (another tab), the page no longer claims its edits are saved.
    daphne_server.django(
        """
        from playground.sessions.models import PlaygroundSession
        PlaygroundSession.objects.get(pk=params["pk"]).move_to_trash()
        """,
        pk=int(imported_pk),
    )
    prompt.fill("An edit with nowhere to go")
    expect(page.locator("#save-state")).to_have_text("Not saved: this session was deleted.")
