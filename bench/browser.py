"""Figure 9 (issue 13, "Long documents"): a long completion streaming into the browser.

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
- every main-thread task, from a Chromium trace ("toplevel" category: one event per task
  the renderer's main thread runs), windowed by performance.mark()s: the longest task
  even when none passes 50 ms, and the main thread's busy time (the ratio to the direct
  reader's);
- the final render: from run.finished to the document's data-busy going away (the editor
  loads the stored node and renders it whole);
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
TRACE_CATEGORIES = ["toplevel", "blink.user_timing"]
TASK_EVENTS = ("ThreadControllerImpl::RunTask", "RunTask")

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
  if (box) {
    new MutationObserver(() => {
      if (bench.finished !== null && bench.idle === null && !box.hasAttribute("data-busy")) {
        bench.idle = performance.now();
        performance.mark("bench-idle");
      }
    }).observe(box, { attributes: true, attributeFilter: ["data-busy"] });
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
  backdrop: [...document.querySelectorAll("#document-backdrop > span:not(.document-end)")]
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


def main_thread_tasks(trace: bytes) -> dict:
    """Per-task durations (ms) of the page's main thread between the bench's marks.

    The page's main thread is the one its performance.mark()s were made on.
    """
    events = json.loads(trace)
    events = events.get("traceEvents", events) if isinstance(events, dict) else events
    marks, tasks = {}, {}
    for event in events:
        name = event.get("name")
        if name in ("bench-submit", "bench-finished", "bench-idle") and event.get("ph") in (
            "R",
            "I",
            "n",
            "b",
        ):
            marks.setdefault(name, (event["pid"], event["tid"], event["ts"]))
        elif name in TASK_EVENTS and event.get("ph") == "X":
            key = (event["pid"], event["tid"])
            tasks.setdefault(key, {}).setdefault(name, []).append((event["ts"], event["dur"]))
    if "bench-submit" not in marks:
        raise RuntimeError("The trace has no bench-submit mark: cannot find the page's thread.")
    pid, tid, submitted = marks["bench-submit"]
    on_main = tasks.get((pid, tid), {})
    # The outermost kind of task event there is: nested ones would count twice.
    name = next((n for n in TASK_EVENTS if n in on_main), None)
    spans = on_main.get(name, [])
    finished = marks.get("bench-finished", (0, 0, float("inf")))[2]
    idle = marks.get("bench-idle", (0, 0, finished))[2]

    def window(start, end):
        durations = [dur / 1000 for ts, dur in spans if start <= ts < end]
        return {
            "longest_ms": max(durations, default=0.0),
            "busy_ms": sum(durations),
            "tasks": len(durations),
            "over_50_ms": sum(d > LONG_TASK_MS for d in durations),
        }

    return {"streaming": window(submitted, finished), "final": window(finished, idle + 1)}


def _long_tasks(bench: dict, start: float | None, end: float | None) -> list[float]:
    if start is None:
        return []
    end = float("inf") if end is None else end
    return [duration for at, duration in bench["longTasks"] if start <= at < end]


async def _editor_run(
    browser, server, account, tokens: int, probabilities: bool, trace_path: str
) -> dict:
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
        await browser.start_tracing(page=page, path=trace_path, categories=TRACE_CATEGORIES)
        await page.evaluate(_SUBMIT_MARK)
        await page.click("#run-button")
        await page.wait_for_function(
            _EDITOR_DONE, polling=250, timeout=tokens * TOKEN_INTERVAL_MS * 3 + 120_000
        )
        trace = await browser.stop_tracing()
        result = await page.evaluate(_EDITOR_RESULT)
    finally:
        await context.close()
    result["threads"] = main_thread_tasks(trace)
    return result


async def _direct_run(
    browser, server, account, tokens: int, probabilities: bool, trace_path: str
) -> dict:
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
        await browser.start_tracing(page=page, path=trace_path, categories=TRACE_CATEGORIES)
        await page.evaluate(_SUBMIT_MARK)
        await page.evaluate("(message) => window.__start(message)", message)
        await page.wait_for_function(
            "() => window.__bench.idle !== null",
            polling=250,
            timeout=tokens * TOKEN_INTERVAL_MS * 3 + 120_000,
        )
        trace = await browser.stop_tracing()
        result = await page.evaluate(
            "() => ({bench: window.__bench, value: document.getElementById('out').textContent})"
        )
    finally:
        await context.close()
    result["value"] = PROMPT + result["value"]
    result["backdrop"] = result["value"]
    result["threads"] = main_thread_tasks(trace)
    return result


def _summary(result: dict, tokens: int) -> dict:
    bench = result["bench"]
    generated = result["value"][len(PROMPT) :] if result["value"].startswith(PROMPT) else ""
    lost, reordered = count_tokens(generated, tokens)
    streaming_long = _long_tasks(bench, bench["submitted"], bench["finished"])
    final_long = _long_tasks(bench, bench["finished"], (bench["idle"] or 0) + 1)
    threads = result["threads"]
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
        "trace_streaming": threads["streaming"],
        "trace_final": threads["final"],
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
            f"longest task while streaming, editor, {label}", "ms", ("<=", LONG_TASK_MS), "max"
        )
        m["over"] = figure.metric(f"tasks over 50 ms while streaming, editor, {label}", "tasks")
        m["direct"] = figure.metric(f"longest task while streaming, direct reader, {label}", "ms")
        m["ratio"] = figure.metric(
            f"main-thread busy while streaming, editor / direct, {label}", "x"
        )
        m["final"] = figure.metric(f"final document rendered (after run.finished), {label}", "ms")
        m["final_longest"] = figure.metric(f"longest task of the final render, {label}", "ms")
    workdir = bench.servers.workdir
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            # Warm-up: code paths, caches, the daphne process.
            await _direct_run(browser, server, account, 20, False, str(workdir / "warm.json"))
            await _editor_run(browser, server, account, 20, False, str(workdir / "warm.json"))
            for repetition in range(bench.sizes.browser_repetitions):
                detail = {"tokens": tokens, "load_average": list(os.getloadavg())}
                lost_here = 0
                for mode in ("off", "on"):
                    on = mode == "on"
                    trace = str(workdir / f"trace-{repetition}-{mode}")
                    direct = _summary(
                        await _direct_run(browser, server, account, tokens, on, trace + "-d.json"),
                        tokens,
                    )
                    editor = _summary(
                        await _editor_run(browser, server, account, tokens, on, trace + "-e.json"),
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
                    m["longest"].values.append(
                        max(
                            editor["trace_streaming"]["longest_ms"],
                            editor["longest_long_task_streaming_ms"],
                        )
                    )
                    m["over"].values.append(editor["long_tasks_streaming"])
                    m["direct"].values.append(
                        max(
                            direct["trace_streaming"]["longest_ms"],
                            direct["longest_long_task_streaming_ms"],
                        )
                    )
                    busy = direct["trace_streaming"]["busy_ms"]
                    m["ratio"].values.append(
                        editor["trace_streaming"]["busy_ms"] / busy if busy else float("nan")
                    )
                    m["final"].values.append(editor["final_render_ms"])
                    final = editor["trace_final"]["longest_ms"]
                    m["final_longest"].values.append(
                        max(final, editor["longest_long_task_final_ms"])
                    )
                    detail[f"probabilities_{mode}"] = {"editor": editor, "direct": direct}
                lost.values.append(lost_here)
                figure.details.append(detail)
        finally:
            await browser.close()
            bench.stop("browser")
