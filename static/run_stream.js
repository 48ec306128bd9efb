// What the two pages that follow runs over a socket share, the playground and the share
// page: how htmx's ws extension reconnects, how their JSON frames reach their handlers, and
// how a run streams into the page (run.started, delta, run.finished). Model output only
// ever goes into the page through textContent; a finished run's card is server-rendered
// HTML, in which the template engine has escaped all model output.
(function () {
  "use strict";

  // The ws extension's default backoff doubles up to 64 s between tries, so a page could
  // stay disconnected for a minute after the server was back: the wait is capped at 2 s
  // (with some jitter, so that many pages do not all knock at once).
  const RECONNECT_MAX_MS = 2000;
  htmx.config.wsReconnectDelay = (retries) =>
    Math.min(RECONNECT_MAX_MS, 250 * 2 ** retries) * (0.5 + Math.random() / 2);

  // The frames of the socket that the ws extension keeps on root (ws-connect), each to its
  // handler by type; heard() first, for every frame.
  function listen(root, handlers, heard) {
    root.addEventListener("htmx:wsBeforeMessage", (event) => {
      event.preventDefault(); // frames are JSON, handled here rather than swapped by htmx
      if (heard) heard();
      let frame;
      try {
        frame = JSON.parse(event.detail.message);
      } catch (e) {
        return;
      }
      const handler = handlers[frame.type];
      if (handler) handler(frame);
    });
  }

  // The run streaming into #live-run, from the templates of runs/streaming_card.html. Once
  // it has finished, its card moves to the top of #run-history when the next run starts.
  // cardUrl(run): where this page may fetch a run's stored card.
  function runs(cardUrl) {
    const liveRun = document.getElementById("live-run");
    const history = document.getElementById("run-history");
    const liveTemplate = document.getElementById("live-run-template");
    const paneTemplate = document.getElementById("choice-pane-template");
    let currentRun = null; // the id of the run streaming now, if any
    let panes = new Map();
    let showChoiceHeadings = false; // only when the run asked for more than one choice

    function archive() {
      discard();
      if (parsing) parsing.archived = true;
      const card = liveRun.querySelector(".run-card:not(.live)");
      if (card) history.prepend(card);
      // The history lists earlier runs; once one has started, "no runs yet" is no longer true.
      const empty = document.getElementById("no-runs");
      if (empty) empty.remove();
      liveRun.replaceChildren();
      panes = new Map();
    }

    function paneFor(index) {
      let pane = panes.get(index);
      if (!pane) {
        pane = paneTemplate.content.firstElementChild.cloneNode(true);
        pane.dataset.index = index;
        const heading = pane.querySelector("h3");
        if (showChoiceHeadings) heading.textContent = "Choice " + index;
        else heading.remove();
        const ordered = [...panes.keys()].filter((i) => i > index).sort((a, b) => a - b);
        const before = ordered.length ? panes.get(ordered[0]) : null;
        liveRun.querySelector(".choices").insertBefore(pane, before);
        panes.set(index, pane);
      }
      return pane.querySelector(".choice-text");
    }

    // The deltas go into the panes together, every WRITE_EVERY_MS: the page is laid out and
    // painted that often rather than at each frame of the socket (a run at 100 tokens/s
    // sends up to 60 a second). One text node per pane, grown: not one more node per delta
    // (20,000 tokens made thousands of them, each laid out again as the text grew).
    const WRITE_EVERY_MS = 50;
    const unwritten = new Map(); // choice index → text not yet in its pane
    let writeTimer = 0;
    function write() {
      clearTimeout(writeTimer);
      writeTimer = 0;
      for (const [index, text] of unwritten) {
        const pane = paneFor(Number(index));
        let last = pane.lastChild;
        if (last && last.nodeType === Node.TEXT_NODE) last.appendData(text);
        else pane.append((last = document.createTextNode(text)));
        // A long run: the card shows the last SHOWN_CHARS or so of the text as it streams,
        // and keeps the rest in a hidden part, which is not laid out (the document above
        // shows it all). The pane's text is still the whole text.
        if (last.length > 2 * SHOWN_CHARS) {
          let earlier = pane.querySelector(":scope > .streamed-earlier");
          if (!earlier) {
            earlier = document.createElement("span");
            earlier.className = "streamed-earlier";
            earlier.hidden = true;
            earlier.append(document.createTextNode(""));
            pane.insertBefore(earlier, last);
          }
          const cut = last.length - SHOWN_CHARS;
          earlier.firstChild.appendData(last.data.slice(0, cut));
          last.deleteData(0, cut);
        }
      }
      unwritten.clear();
    }
    const SHOWN_CHARS = 2000;

    function discard() {
      clearTimeout(writeTimer);
      writeTimer = 0;
      unwritten.clear();
    }

    // The stored run's card, from the server, in place of the streaming one.
    function showStored(run) {
      discard();
      if (run === currentRun) currentRun = null;
      panes = new Map();
      // Read as it arrives, into the parser: a long run's card is 2 MB.
      fetch(cardUrl(run), { credentials: "same-origin", headers: { "HX-Request": "true" } })
        .then((response) => { if (response.ok) showCard(textOf(response)); }, () => {});
    }

    async function* textOf(response) {
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        yield decoder.decode(value, { stream: true });
      }
      yield decoder.decode();
    }

    const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

    // A finished run's card (server-rendered HTML, all model output escaped by the template
    // engine) in place of the streaming one. A long run's card holds 20,000 token spans,
    // 2 MB of HTML: parsed in one go, it held the page for 200 ms. So a large card is
    // parsed a slice at a time, a task each, in a document of its own, and put in when
    // whole; the streamed text shows meanwhile. htmx sees the card's parts outside its
    // text (its buttons), not the thousands of spans.
    const PARSE_SLICE = 100_000; // characters of HTML a task
    const TOKENS_AT_ONCE = 2000;
    let parsing = null; // {archived}: the live card being parsed, if any
    // toHistory: the card goes to the top of the history rather than in the live place (a
    // comparison's column). Resolves once the card is in.
    function showCard(html, toHistory = false) {
      const job = { archived: toHistory };
      if (!toHistory) {
        if (parsing) parsing.archived = true;
        parsing = job;
      }
      // nodes: the parsed HTML's top-level nodes, the card first; whole: htmx may walk it all.
      const put = (nodes, whole) => {
        if (parsing === job) parsing = null;
        const card = nodes.find((node) => node.nodeType === Node.ELEMENT_NODE);
        if (!card) return;
        if (job.archived) {
          history.prepend(card);
        } else {
          liveRun.replaceChildren(...nodes);
          panes = new Map();
        }
        if (whole || card.matches("[hx-get]")) {
          htmx.process(card);
        } else {
          for (const part of card.children) {
            if (!part.matches(".choices")) htmx.process(part);
          }
        }
      };
      if (typeof html === "string" && html.length <= PARSE_SLICE) {
        const template = document.createElement("template");
        template.innerHTML = html;
        put([...template.content.childNodes], true);
        return Promise.resolve();
      }
      // A card of thousands of tokens shows its text as one span, at first: a paragraph of
      // 20,000 spans took 150 ms to lay out. Its tokens come back at the click of a button.
      const plain = (card) => {
        for (const pre of card.querySelectorAll(".choice-text")) {
          if (pre.childElementCount <= TOKENS_AT_ONCE) continue;
          const own = pre.ownerDocument;
          const first = pre.firstElementChild;
          const echo = first && first.matches(".echo") ? first : null;
          const shown = pre.cloneNode(false);
          shown.removeAttribute("role");
          if (echo) shown.append(echo.cloneNode(true));
          const text = own.createElement("span");
          text.textContent = pre.textContent.slice(echo ? echo.textContent.length : 0);
          shown.append(text);
          pre.replaceWith(shown);
          if (!pre.querySelector(":scope > [data-tip]")) continue;
          const count = pre.childElementCount - (echo ? 1 : 0);
          const button = own.createElement("button");
          button.type = "button";
          button.className = "link show-tokens";
          button.textContent = "Show each token's probability (" + count.toLocaleString("en") + " tokens)";
          button.addEventListener("click", () => {
            shown.replaceWith(pre);
            button.remove();
          });
          shown.after(button);
        }
      };
      return (async () => {
        const parsed = document.implementation.createHTMLDocument("");
        parsed.open();
        for await (const text of typeof html === "string" ? [html] : html) {
          for (let at = 0; at < text.length; at += PARSE_SLICE) {
            parsed.write(text.slice(at, at + PARSE_SLICE));
            await nextTask();
          }
        }
        parsed.close();
        // A task each: the tokens set aside (in the parsed document), the card put in.
        for (const card of parsed.body.children) plain(card);
        await nextTask();
        put([...parsed.body.childNodes].map((node) => document.adoptNode(node)), false);
      })().catch(() => {
        if (parsing === job) parsing = null;
      });
    }

    return {
      current: () => currentRun,
      showStored,
      // A comparison's columns (compare_results.js streamed them) have ended: their stored
      // cards go to the top of the history in column order, so the last column is on top,
      // as a reload lists them.
      async columnsEnded(runIds) {
        archive();
        for (const run of runIds) {
          const response = await fetch(cardUrl(run), {
            credentials: "same-origin",
            headers: { "HX-Request": "true" },
          }).catch(() => null);
          if (response && response.ok) await showCard(textOf(response), true);
        }
      },
      // The line under the streaming card's header ("Stopping…", why it stopped, …).
      say(text) {
        const status = liveRun.querySelector(".run-card.live .live-status");
        if (status) status.textContent = text;
      },
      // This page follows the run no more: no "Streaming" card is left behind.
      drop() {
        discard();
        currentRun = null;
        const card = liveRun.querySelector(".run-card.live");
        if (card) card.remove();
      },
      started(frame) {
        archive();
        currentRun = frame.run;
        showChoiceHeadings = frame.expected_choices > 1;
        const card = liveTemplate.content.firstElementChild.cloneNode(true);
        card.id = "run-" + frame.run;
        card.dataset.run = frame.run;
        card.querySelector(".badge").textContent = frame.request.stream ? "Streaming" : "Running";
        card.querySelector(".model").textContent = frame.request.model;
        card.querySelector(".live-status").textContent = frame.request.stream
          ? ""
          : "Waiting for the whole response…";
        liveRun.append(card);
      },
      delta(frame) {
        if (frame.run !== currentRun) return;
        for (const [index, text] of Object.entries(frame.choices)) {
          unwritten.set(index, (unwritten.get(index) || "") + text);
        }
        if (!writeTimer) writeTimer = setTimeout(write, WRITE_EVERY_MS);
      },
      finished(frame) {
        write();
        if (frame.run === currentRun) currentRun = null;
        // The database went away at the end: the streamed text stays, the page says why.
        if (frame.saved === false) return;
        if (frame.html === null) {
          // A card too large for one socket message: fetched instead (README, the protocol).
          showStored(frame.run);
          return;
        }
        showCard(frame.html);
      },
    };
  }

  window.RunStream = { listen, runs };
})();
