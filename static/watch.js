// The share page: follows a live demo over the watch socket, which htmx's ws extension
// keeps (ws-connect on #watch), as on the playground. The session's title, prompt and
// parameters come rendered by the server (live.state's html); runs stream in through
// run_stream.js. The session's tree is shown read-only (#tree), with the document of the node
// chosen (#shared-document): the viewer's choice, or the presenter's, whose moves the page
// follows (live.state's node), and a presented run as it streams, tinted as its tokens come.
// Nothing from the socket or the server goes into the page but through textContent or as
// server-rendered, escaped HTML.
(function () {
  "use strict";

  const root = document.getElementById("watch");
  if (!root) return;
  const liveState = document.getElementById("live-state");
  const accessEnded = document.getElementById("access-ended");
  const stateTooLarge = document.getElementById("state-too-large");
  // The server's close code for a socket whose access ended (accounts/sockets.py); the ws
  // extension does not reconnect after it.
  const ACCESS_REVOKED = 4403;
  const runs = RunStream.runs((run) => root.dataset.runsPath + run + "/");
  const tree = SharedTree(root);
  let ended = false;
  // The newest comparison, and one the presenter starts: its columns stream side by side.
  const comparisonBox = document.getElementById("shared-comparison");
  const comparison = CompareResults(document.getElementById("compare-results"), {});
  const storedComparison = JSON.parse(document.getElementById("comparison-data").textContent);
  if (storedComparison) comparison.showStored(storedComparison);

  function setLive(live, text) {
    liveState.dataset.live = live ? "true" : "false";
    liveState.textContent = text;
  }

  // This viewer may no longer watch (README, Sharing): say so once and stop following, rather
  // than reconnect to a socket that refuses the page. A reload asks the server again.
  function endAccess(text) {
    ended = true;
    root.dataset.access = "ended";
    setLive(false, "");
    runs.drop();
    accessEnded.textContent = text || root.dataset.accessEnded;
    accessEnded.hidden = false;
    tree.stop();
  }

  let comparedRuns = []; // the columns' runs of the comparison going, if any
  const handlers = {
    "live.state"(frame) {
      // Each piece of sharing/live_state.html in its place, by id (out of band).
      if (frame.html !== null) htmx.swap(root, frame.html, { swapStyle: "none" });
      // Too large to come with the frame (sockets/outgoing.py): a reload shows it.
      stateTooLarge.hidden = frame.html !== null;
      if (frame.available === false) setLive(false, "Live mode is unavailable right now.");
      else setLive(frame.live, frame.live ? "Live now" : "");
      tree.presenterAt(frame.node);
    },
    "run.started"(frame) {
      runs.started(frame);
      tree.started(frame);
    },
    delta(frame) {
      if (comparison.owns(frame.run)) return comparison.delta(frame);
      runs.delta(frame);
      tree.delta(frame);
    },
    tokens(frame) {
      if (comparison.owns(frame.run)) return comparison.tokens(frame);
      tree.tokens(frame);
    },
    "compare.started"(frame) {
      comparedRuns = frame.columns.map((column) => column.run);
      comparisonBox.hidden = false;
      comparison.layout(frame.columns);
    },
    "column.finished": (frame) => comparison.columnFinished(frame),
    "compare.finished"() {
      comparison.markDivergence();
      tree.changed();
      runs.columnsEnded(comparedRuns);
    },
    "tree.changed"() {
      tree.changed();
    },
    "run.finished"(frame) {
      // The database went away at the end of the run: the streamed text is what there is.
      if (frame.saved === false) runs.say(frame.error);
      runs.finished(frame);
      tree.finished(frame);
    },
    "live.ended"() {
      setLive(false, "The live demo has ended.");
    },
    "access.revoked"(frame) {
      endAccess(frame.error);
    },
  };
  RunStream.listen(root, handlers);

  root.addEventListener("htmx:wsOpen", () => {
    root.dataset.socket = "open";
  });
  root.addEventListener("htmx:wsClose", (event) => {
    if (event.detail.event.code === ACCESS_REVOKED && !ended) endAccess("");
  });

  // A socket refused at its handshake looks like a server that is away, and the extension
  // would try again. The share page itself tells them apart: 404 or a redirect to log in
  // means this viewer may no longer open it; anything else (no answer, a 5xx) is worth
  // another try. So the close of a socket that never opened reaches the extension only once
  // the page has answered that way. (Listeners added here run before the extension's
  // onclose, which it sets on the socket after this returns it.)
  htmx.createWebSocket = (url) => {
    const made = new WebSocket(url, []);
    made.binaryType = htmx.config.wsBinaryType;
    let opened = false;
    made.addEventListener("open", () => {
      opened = true;
    });
    made.addEventListener("close", (event) => {
      root.dataset.socket = "closed";
      if (opened && !ended) return; // the extension's to handle
      // Ended, the page tries nothing more; else it asks first.
      event.stopImmediatePropagation();
      if (ended) return;
      const retry = () => made.onclose(event);
      fetch(location.pathname, { cache: "no-store", redirect: "manual", credentials: "same-origin" })
        .then((response) => {
          if (response.status === 404 || response.type === "opaqueredirect") endAccess("");
          else retry();
        }, retry);
    });
    return made;
  };
})();

// The share page's tree and document. root: #watch, with data-runs-path (a node's document
// is at runs/<run>/document/?choice=<choice>) and data-tree-url (the nodes).
function SharedTree(root) {
  "use strict";

  const LOOK_CLASS = { p: "look-typed", g: "look-generated", e: "look-edited" };
  const treePanel = document.getElementById("tree");
  const view = document.getElementById("shared-document");
  const caption = document.getElementById("document-caption");
  const forkForm = document.getElementById("fork-node-form");
  const forkNode = document.getElementById("fork-node");
  let nodes = JSON.parse(document.getElementById("tree-nodes").textContent);
  const first = JSON.parse(document.getElementById("shown-document").textContent);
  let selected = first ? first.node : ""; // the node whose document is on show
  let presenter = selected; // the node the presenter's editor showed last
  let stream = null; // the presented run streaming into the document
  let asked = 0; // the latest document asked for: an older answer is dropped
  let stopped = false;

  function percent(lp) {
    return (Math.exp(Math.min(lp, 0)) * 100).toFixed(2) + "%";
  }

  // As a run card's tip says it (runs/presentation.py).
  function tip(text, lp, top) {
    const lines = [JSON.stringify(text) + "  " + percent(lp)];
    const alternatives = Object.entries(top || {}).filter(([, p]) => typeof p === "number");
    if (alternatives.length) {
      lines.push("Top alternatives:");
      alternatives.sort((a, b) => b[1] - a[1]);
      for (const [alt, p] of alternatives) lines.push("  " + JSON.stringify(alt) + "  " + percent(p));
    }
    return lines.join("\n");
  }

  function span(look, text) {
    const element = document.createElement("span");
    element.className = LOOK_CLASS[look] || LOOK_CLASS.p;
    element.textContent = text;
    return element;
  }

  function tokenSpan([text, lp, top]) {
    const element = span("g", text);
    if (typeof lp === "number") {
      const bucket = Math.min(9, Math.max(0, Math.floor(Math.exp(Math.min(lp, 0)) * 10)));
      element.classList.add("tok", "p" + bucket);
      element.dataset.tip = tip(text, lp, top);
    }
    return element;
  }

  // A piece of a node's document (common.js DocumentPieces): a token tinted by its odds,
  // or text in its look.
  function pieceSpan(piece) {
    return piece.tok === undefined ? span(piece.look, piece.text) : tokenSpan([piece.text, piece.lp, piece.top]);
  }

  // The document: its prompt (with the odds of what its ancestors generated) and suffix in
  // their looks, around `generated` (an element).
  function show(doc, generated) {
    const { before, after } = DocumentPieces.split(doc);
    view.replaceChildren(...before.map(pieceSpan), generated, ...after.map(pieceSpan));
    view.hidden = false;
  }

  function generatedOf(doc) {
    const generated = document.createElement("span");
    generated.className = "document-generated";
    generated.append(...DocumentPieces.split(doc).generated.map(pieceSpan));
    return generated;
  }

  function nodeById(id) {
    return nodes.find((node) => node.id === id) || null;
  }

  function say(text) {
    caption.textContent = text;
  }

  function offerFork(id) {
    if (!forkForm) return;
    forkNode.value = id || "";
    forkForm.hidden = !id;
  }

  function captionFor(id) {
    const node = nodeById(id);
    const whose = id && id === presenter ? " (the presenter's)" : "";
    say("Node " + id + whose + (node ? ": " + TreePanel.describe(node) : ""));
  }

  async function refreshTree() {
    const response = await fetch(root.dataset.treeUrl, { credentials: "same-origin" });
    if (!response.ok || stopped) return;
    nodes = (await response.json()).nodes;
    renderTree();
  }

  // The node's document, from the server; the viewer's choice or the presenter's move.
  async function showNode(id) {
    if (stopped || !id) return;
    const ask = ++asked;
    stream = null;
    const [run, choice] = id.split(":");
    const url = root.dataset.runsPath + run + "/document/?choice=" + encodeURIComponent(choice);
    const response = await fetch(url, { credentials: "same-origin" });
    if (ask !== asked || stopped) return;
    if (!response.ok) {
      say("That branch is not in the shared session any more.");
      return;
    }
    const doc = await response.json();
    if (ask !== asked) return;
    if (!nodeById(id)) await refreshTree();
    selected = id;
    show(doc, generatedOf(doc));
    captionFor(id);
    offerFork(id);
    renderTree();
  }

  // --- The tree panel, read-only (tree_panel.js) ----------------------------------------
  const treeView = TreePanel(treePanel, {
    empty: "No completions yet.",
    meta: (node) => (node.id === presenter ? " · presenter" : ""),
    choose(item) {
      item.focus();
      if (item.dataset.node !== selected || stream) showNode(item.dataset.node);
    },
  });

  function renderTree() {
    treeView.show(nodes, selected);
  }

  // --- A presented run, streaming into the document ----------------------------------------
  // Its text goes into `tail` (untinted) as deltas come; each token of a tokens frame (which
  // follows the delta with its text) then takes its text from the tail, tinted.
  function streamInto(doc) {
    const generated = document.createElement("span");
    generated.className = "document-generated";
    generated.append(...stream.tokens.map(tokenSpan));
    stream.tail = span("g", stream.text.slice(stream.tokenized));
    generated.append(stream.tail);
    show(doc, generated);
  }

  function started(frame) {
    if (stopped) return;
    asked++; // an answer still on its way is no longer wanted
    const request = frame.request || {};
    const prompt = typeof request.prompt === "string" ? request.prompt : "";
    const suffix = typeof request.suffix === "string" ? request.suffix : "";
    const doc = { prompt, suffix, looks: prompt.length + suffix.length ? [["p", prompt.length + suffix.length]] : [] };
    stream = { run: frame.run, text: "", tokens: [], tokenized: 0, broken: false, doc };
    selected = frame.run + ":0";
    streamInto(doc);
    say("Streaming: the presenter's run " + frame.run + ".");
    offerFork("");
    renderTree();
    // Who wrote which part of its prompt: the run's looks, from its stored document.
    const run = frame.run;
    fetch(root.dataset.runsPath + run + "/document/?choice=0", { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : null))
      .then((found) => {
        if (!found || !stream || stream.run !== run) return;
        stream.doc = { prompt: found.prompt, suffix: found.suffix, looks: found.looks };
        streamInto(stream.doc);
      }, () => {});
  }

  function delta(frame) {
    if (!stream || frame.run !== stream.run) return;
    const text = frame.choices["0"];
    if (!text) return;
    stream.text += text;
    stream.tail.append(document.createTextNode(text));
  }

  function tokens(frame) {
    if (!stream || frame.run !== stream.run || stream.broken) return;
    for (const entry of frame.choices["0"] || []) {
      const text = String(entry[0]);
      if (!stream.text.startsWith(text, stream.tokenized)) {
        stream.broken = true; // these tokens do not spell the text: it stays untinted
        return;
      }
      stream.tokens.push(entry);
      stream.tokenized += text.length;
      stream.tail.before(tokenSpan(entry));
      // The tail holds only the text no token has taken yet: a few characters.
      stream.tail.textContent = stream.tail.textContent.slice(text.length);
    }
  }

  async function finished(frame) {
    if (stopped) return;
    const mine = stream && frame.run === stream.run;
    if (mine) stream = null;
    await refreshTree();
    // The stored document, tinted as the provider's logprobs say, in place of the streamed one.
    if (mine && frame.saved !== false && selected === frame.run + ":0") showNode(selected);
  }

  // tree.changed: the presenter pruned a branch or brought one back. A viewer on a node
  // that went is told, and taken to the presenter's.
  async function changed() {
    await refreshTree();
    if (stopped || !selected || nodeById(selected)) return;
    selected = "";
    if (presenter && nodeById(presenter)) await showNode(presenter);
    else renderTree();
    say("The presenter pruned the branch you were looking at" +
      (selected ? ". This is the presenter's node." : "."));
  }

  // live.state: the presenter's editor shows this node now. Followed when it moves (the
  // viewer's own choice stays until then), not while a presented run streams.
  function presenterAt(node) {
    if (node === undefined || node === presenter) return;
    presenter = node;
    if (node && !stream) showNode(node);
    else renderTree();
  }

  function stop() {
    stopped = true;
    stream = null;
    offerFork("");
  }

  renderTree();
  if (first) {
    show(first, generatedOf(first));
    captionFor(first.node);
    offerFork(first.node);
  }

  return { started, delta, tokens, finished, presenterAt, changed, stop };
}
