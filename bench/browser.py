"""Figure 10 (issue 13, "Long documents"): a long completion streaming into the browser.

The session page's editor in headless Chromium (Playwright), logged in as the bench's
account, with a run of `browser_tokens` tokens at 100 tokens/s from the paced upstream:
does rendering freeze the page? Measured twice, with "Show probabilities" off and on (the
upstream then sends each token's logprobs, and the page tints every token as it streams).

The baseline, in the same run: a direct reader, a minimal page on the same daphne origin
(written into a page daphne served, so it carries the login cookie) that opens the same
socket, starts the same run and appends each delta to one text node of a <pre>. The editor's
numbers are given against it.

What is measured, in the page's own clock:
- long tasks: a PerformanceObserver for "longtask" (buffered), installed before the run;
  Chromium reports the tasks over 50 ms, the issue's aim;
- the main thread's busy time while streaming (Chromium's TaskDuration, read through
  CDP at the submit and when run.finished has arrived): the ratio to the direct reader's.
  (A Chromium trace would give every task, but weighs 200 MB a run at 20,000 tokens.)
- the final render: from run.finished until the document's data-busy has gone (the editor
  loads the stored node and shows it) and the run's finished card is in place (a long
  run's card, 2 MB of HTML, is fetched and parsed);
- the tokens: the textarea must hold the prompt and every token " i", in order, and the
  backdrop must spell the same text.
"""

from __future__ import annotations

import itertools
import json
import os
from typing import TYPE_CHECKING

from playwright.async_api import async_playwright

if TYPE_CHECKING:
    from .figures import Bench, Figure

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
VIEWPORT = {"width": 1280, "height": 900}
TOKEN_INTERVAL_MS = 10  # 100 tokens/s
LONG_TASK_MS = 50
PROMPT = "Count:"
# The paced upstream's text without its time stamp: " i", about a real token's length.
UPSTREAM = {"bench_interval_ms": TOKEN_INTERVAL_MS, "bench_stamp": False}
DIRECT_PATH = "/bench/direct-reader/"  # no such page: daphne's 404

_NEW_SESSION = """
from playground.sessions.models import PlaygroundSession
result = PlaygroundSession.objects.create(
    owner_id=params["owner"], provider_id=params["provider"], model="bench"
).pk
"""

# Installed in both pages before the run: the long tasks, and when the run's frames came.
_RECORDER = """
() => {
  const bench = window.__bench = {
    longTasks: [], submitted: null, firstDelta: null, lastDelta: null, finished: null,
    status: null, idle: null, deltas: 0,
  };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      bench.longTasks.push([entry.startTime, entry.duration]);
    }
  }).observe({ type: "longtask", buffered: true });
  bench.heard = (message) => {
    // Only the frames the figure times are parsed; the page parses them all anyway.
    if (message.startsWith('{"type": "delta"')) {
      const now = performance.now();
      if (bench.firstDelta === null) bench.firstDelta = now;
      bench.lastDelta = now;
      bench.deltas += 1;
    } else if (message.startsWith('{"type": "run.finished"')) {
      bench.finished = performance.now();
      performance.mark("bench-finished");
      bench.status = JSON.parse(message).status;
    }
  };
  document.addEventListener("htmx:wsBeforeMessage", (event) => bench.heard(event.detail.message));
  const box = document.querySelector(".document");
  const liveRun = document.getElementById("live-run");
  if (box && liveRun) {
    // Settled: the document shows the stored node, and the run's finished card is in.
    const settle = () => {
      if (bench.finished !== null && bench.idle === null && !box.hasAttribute("data-busy") &&
          liveRun.querySelector(".run-card:not(.live)")) {
        bench.idle = performance.now();
        performance.mark("bench-idle");
      }
    };
    new MutationObserver(settle).observe(box, { attributes: true, attributeFilter: ["data-busy"] });
    new MutationObserver(settle).observe(liveRun, { childList: true });
  }
}
"""

_SUBMIT_MARK = """() => {
  window.__bench.submitted = performance.now();
  performance.mark("bench-submit");
}"""

_EDITOR_DONE = """() => {
  const bench = window.__bench;
  return bench.finished !== null && bench.idle !== null &&
    document.getElementById("stop-button").disabled &&
    !document.querySelector(".document[data-busy]");
}"""

_EDITOR_RESULT = """() => ({
  bench: window.__bench,
  value: document.getElementById("id_prompt").value,
  backdrop: [...document.querySelectorAll("#document-backdrop span:not(.document-end)")]
    .map((span) => span.textContent).join(""),
  tinted: document.querySelectorAll("#document-backdrop .tok").length,
})"""

# The direct reader: the same socket and run, each delta appended to one text node.
_DIRECT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Direct reader</title></head>
<body><pre id="out"></pre>
<script>
"use strict";
const out = document.getElementById("out").appendChild(document.createTextNode(""));
let run = null;
const socket = new WebSocket(location.origin.replace(/^http/, "ws") + "/ws/playground/");
window.__open = new Promise((resolve) => socket.addEventListener("open", resolve));
socket.addEventListener("message", (event) => {
  if (window.__bench) window.__bench.heard(event.data);
  const frame = JSON.parse(event.data);
  if (frame.type === "run.started") run = frame.run;
  else if (frame.type === "delta" && frame.run === run) out.appendData(frame.choices["0"] || "");
  else if (frame.type === "run.finished" && frame.run === run) {
    window.__bench.idle = performance.now();
    performance.mark("bench-idle");
  }
});
window.__start = (message) => socket.send(JSON.stringify(message));
</script></body></html>
"""


def expected_text(tokens: int) -> str:
    return "".join(f" {i}" for i in range(tokens))


def count_tokens(generated: str, tokens: int) -> tuple[int, int]:
    """Lost and reordered tokens in the text after the prompt (" 0 1 2 ...")."""
    seqs = []
    for word in generated.split():
        try:
            seqs.append(int(word))
        except ValueError:
            seqs.append(-1)
    lost = tokens - len(set(seqs) & set(range(tokens)))
    reordered = sum(b <= a for a, b in itertools.pairwise(seqs))
    return lost, reordered


class _MainThread:
    """The page's main-thread busy time (Chromium's TaskDuration, through CDP), read at the
    submit and after each wait."""

    def __init__(self, cdp, page):
        self.cdp, self.page = cdp, page
        self.readings: list[float] = []

    @classmethod
    async def start(cls, context, page) -> _MainThread:
        cdp = await context.new_cdp_session(page)
        await cdp.send("Performance.enable")
        busy = cls(cdp, page)
        await busy.read()
        return busy

    async def read(self) -> None:
        metrics = (await self.cdp.send("Performance.getMetrics"))["metrics"]
        self.readings.append(next(m["value"] for m in metrics if m["name"] == "TaskDuration"))

    async def until(self, condition: str, tokens: int) -> None:
        timeout = tokens * TOKEN_INTERVAL_MS * 3 + 120_000
        await self.page.wait_for_function(condition, polling=100, timeout=timeout)
        await self.read()


def _long_tasks(bench: dict, start: float | None, end: float | None) -> list[float]:
    if start is None:
        return []
    end = float("inf") if end is None else end
    return [duration for at, duration in bench["longTasks"] if start <= at < end]


async def _editor_run(browser, server, account, tokens: int, probabilities: bool) -> dict:
    context = await browser.new_context(base_url=server.live.url, viewport=VIEWPORT)
    try:
        name, value = account.cookie
        await context.add_cookies([{"name": name, "value": value, "url": server.live.url}])
        page = await context.new_page()
        page.set_default_timeout(30_000)
        # A new session each time: an empty document.
        session = server.live.django(_NEW_SESSION, owner=account.user, provider=account.provider)
        await page.goto(f"/sessions/{session}/")
        await page.wait_for_selector('#socket-state[data-state="open"]')
        await page.wait_for_selector("#model-options-wrap .help")
        await page.select_option("#id_provider", str(account.provider))
        await page.fill("#id_model", "bench")
        await page.fill("#id_max_tokens", str(tokens))
        await page.evaluate(
            "() => { document.querySelector('details.advanced-parameters').open = true; }"
        )
        await page.fill("#id_extra_body", json.dumps(UPSTREAM))
        if probabilities:
            await page.check("#id_show_probabilities")
        await page.fill("#id_prompt", PROMPT)
        await page.evaluate(_RECORDER)
        busy = await _MainThread.start(context, page)
        await page.evaluate(_SUBMIT_MARK)
        await page.click("#run-button")
        await busy.until("() => window.__bench.finished !== null", tokens)
        await busy.until(_EDITOR_DONE, tokens)
        result = await page.evaluate(_EDITOR_RESULT)
    finally:
        await context.close()
    result["busy"] = busy.readings
    return result


async def _direct_run(browser, server, account, tokens: int, probabilities: bool) -> dict:
    # bypass_csp: the page's own script is inline. It is written into a document daphne
    # served (its 404 page): Chromium lets only a page loaded from loopback open a socket
    # to loopback (Local Network Access), which a page Playwright fulfilled is not.
    context = await browser.new_context(
        base_url=server.live.url, viewport=VIEWPORT, bypass_csp=True
    )
    try:
        name, value = account.cookie
        await context.add_cookies([{"name": name, "value": value, "url": server.live.url}])
        page = await context.new_page()
        page.set_default_timeout(30_000)
        await page.goto(DIRECT_PATH)
        await page.set_content(_DIRECT_PAGE)
        await page.evaluate("() => window.__open")
        await page.evaluate(_RECORDER)
        message = {
            "action": "run",
            "provider": account.provider,
            "model": "bench",
            "prompt": PROMPT,
            "stream": True,
            "max_tokens": tokens,
            "extra_body": UPSTREAM,
            "show_probabilities": probabilities,
        }
        busy = await _MainThread.start(context, page)
        await page.evaluate(_SUBMIT_MARK)
        await page.evaluate("(message) => window.__start(message)", message)
        await busy.until("() => window.__bench.finished !== null", tokens)
        await busy.until("() => window.__bench.idle !== null", tokens)
        result = await page.evaluate(
            "() => ({bench: window.__bench, value: document.getElementById('out').textContent})"
        )
    finally:
        await context.close()
    result["value"] = PROMPT + result["value"]
    result["backdrop"] = result["value"]
    result["busy"] = busy.readings
    return result


def _summary(result: dict, tokens: int) -> dict:
    bench = result["bench"]
    generated = result["value"][len(PROMPT) :] if result["value"].startswith(PROMPT) else ""
    lost, reordered = count_tokens(generated, tokens)
    streaming_long = _long_tasks(bench, bench["submitted"], bench["finished"])
    final_long = _long_tasks(bench, bench["finished"], (bench["idle"] or 0) + 1)
    busy = result["busy"]  # seconds: at the submit, at run.finished, at the end
    return {
        "status": bench["status"],
        "exact": result["value"] == PROMPT + expected_text(tokens),
        "backdrop_matches": result["backdrop"] == result["value"],
        "lost": lost,
        "reordered": reordered,
        "characters": len(result["value"]),
        "delta_frames": bench["deltas"],
        "tinted_tokens": result.get("tinted"),
        "stream_s": ((bench["lastDelta"] or 0) - (bench["firstDelta"] or 0)) / 1000,
        "final_render_ms": (bench["idle"] or 0) - (bench["finished"] or 0),
        "long_tasks_streaming": len(streaming_long),
        "longest_long_task_streaming_ms": max(streaming_long, default=0.0),
        "long_tasks_final": len(final_long),
        "longest_long_task_final_ms": max(final_long, default=0.0),
        "busy_streaming_ms": (busy[1] - busy[0]) * 1000,
        "busy_final_ms": (busy[2] - busy[1]) * 1000,
    }


async def long_document(bench: Bench, figure: Figure) -> None:
    tokens = bench.sizes.browser_tokens
    server, account = bench.server("browser")
    lost = figure.metric("tokens lost or reordered (textarea)", "tokens", ("==", 0), "max")
    metrics = {}
    for mode in ("off", "on"):
        m = metrics[mode] = {}
        label = f"probabilities {mode}"
        m["longest"] = figure.metric(
            f"longest task while streaming (0: none over 50 ms), editor, {label}",
            "ms",
            ("<=", LONG_TASK_MS),
            "max",
        )
        m["over"] = figure.metric(f"tasks over 50 ms while streaming, editor, {label}", "tasks")
        m["direct"] = figure.metric(f"longest task while streaming, direct reader, {label}", "ms")
        m["busy"] = figure.metric(f"main thread busy while streaming, editor, {label}", "s")
        m["ratio"] = figure.metric(
            f"main thread busy while streaming, editor / direct, {label}", "x"
        )
        m["final"] = figure.metric(f"final document rendered (after run.finished), {label}", "ms")
        m["final_longest"] = figure.metric(
            f"longest task of the final render (0: none over 50 ms), {label}", "ms"
        )
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            # Warm-up: code paths, caches, the daphne process.
            await _direct_run(browser, server, account, 20, False)
            await _editor_run(browser, server, account, 20, False)
            for _ in range(bench.sizes.browser_repetitions):
                detail = {"tokens": tokens, "load_average": list(os.getloadavg())}
                lost_here = 0
                for mode in ("off", "on"):
                    on = mode == "on"
                    direct = _summary(
                        await _direct_run(browser, server, account, tokens, on),
                        tokens,
                    )
                    editor = _summary(
                        await _editor_run(browser, server, account, tokens, on),
                        tokens,
                    )
                    for who, summary in (("direct", direct), ("editor", editor)):
                        lost_here += summary["lost"] + summary["reordered"]
                        figure.lost += summary["lost"]
                        figure.reordered += summary["reordered"]
                        if summary["status"] != "completed" or not summary["exact"]:
                            figure.notes.append(
                                f"{who}, probabilities {mode}: run {summary['status']}, "
                                f"text exact: {summary['exact']}"
                            )
                        if not summary["backdrop_matches"]:
                            figure.notes.append(
                                f"{who}, probabilities {mode}: the backdrop differs from the text"
                            )
                    m = metrics[mode]
                    m["longest"].values.append(editor["longest_long_task_streaming_ms"])
                    m["over"].values.append(editor["long_tasks_streaming"])
                    m["direct"].values.append(direct["longest_long_task_streaming_ms"])
                    busy = direct["busy_streaming_ms"]
                    m["ratio"].values.append(
                        editor["busy_streaming_ms"] / busy if busy else float("nan")
                    )
                    m["busy"].values.append(editor["busy_streaming_ms"] / 1000)
                    m["final"].values.append(editor["final_render_ms"])
                    m["final_longest"].values.append(editor["longest_long_task_final_ms"])
                    detail[f"probabilities_{mode}"] = {"editor": editor, "direct": direct}
                lost.values.append(lost_here)
                figure.details.append(detail)
        finally:
            await browser.close()
            bench.stop("browser")
