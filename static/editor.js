// The completion editor: one document holds the prompt and the completions, as pieces that
// say who wrote them (typed, generated, generated then edited). The textarea (#id_prompt,
// the form's prompt field) is what the user edits; under it, a backdrop shows the same
// text with each piece in its look and each generated token tinted by its probability.
// Model output reaches the page only through textContent.
//
// The session's runs form a tree (runs/tree.py): each choice is a node. The document shows
// one node's path; the tree panel walks the nodes; a token's alternatives branch from it.
(function () {
  "use strict";

  const LOOK_CLASS = { p: "look-typed", g: "look-generated", e: "look-edited" };

  function Editor(options) {
    const textarea = document.getElementById("id_prompt");
    const backdrop = document.getElementById("document-backdrop");
    const looksInput = document.getElementById("id_looks");
    const nodeInput = document.getElementById("id_node");
    const versionInput = document.getElementById("id_document_version");
    const modeNote = document.getElementById("insert-note");
    const tokenPanel = document.getElementById("token-panel");
    const treePanel = document.getElementById("tree");
    const treeStatus = document.getElementById("tree-status");
    const probabilities = document.getElementById("id_show_probabilities");
    const tintModes = document.querySelectorAll('input[name="tint-mode"]');
    const legend = document.getElementById("tint-legend");
    const urls = options.urls;

    // {look, text, lp (log probability or undefined), top ({alternative: logprob}),
    //  node ("run:choice" the token was generated in), tok (its index there)}
    let pieces = [];
    let shown = textarea.value; // the text the pieces spell
    let nodes = options.nodes || [];
    let pruned = options.pruned || []; // the pruned branches (runs/tree.py pruned())
    let current = null; // the document of the node on show, as /runs/<id>/document/ gives it
    let generation = null; // {run, start, end, tokensAt, k} while a run writes into the document
    const redo = []; // nodes undone, newest last
    let capabilities = {};
    let tintMode = localStorage.getItem("playground.tintMode") || "probability";

    // --- Pieces and the backdrop -------------------------------------------------------------
    function tintClass(piece) {
      if (!probabilities || !probabilities.checked) return "";
      if (typeof piece.lp !== "number") return "";
      if (tintMode === "surprisal") {
        const bits = -piece.lp / Math.LN2;
        return " tok s" + Math.min(9, Math.max(0, Math.floor(bits)));
      }
      return " tok p" + Math.min(9, Math.max(0, Math.floor(Math.exp(piece.lp) * 10)));
    }

    function spanFor(piece, text) {
      const span = document.createElement("span");
      span.className = LOOK_CLASS[piece.look] + tintClass(piece);
      span.textContent = text === undefined ? piece.text : text;
      return span;
    }

    // The backdrop's blocks. A document is often one long paragraph (a completion without
    // a newline), and the browser lays a paragraph out again whole at each change: at 20,000
    // tokens that took most of every frame (issue 13). So while a run streams, the lines that
    // are done move out of the paragraph into blocks of their own ("frozen"), which the
    // browser then leaves as they are; only the last few lines (the tail) change. A frozen
    // block ends where the textarea's line ends, so the two still wrap alike. The tail holds
    // one span per piece from pieces[tailIndex] on, of which the first tailCut characters
    // are in the frozen blocks.
    const tail = document.createElement("div");
    tail.className = "document-tail";
    // A last line that ends in a newline still has its height, as in the textarea.
    const endMark = document.createElement("span");
    endMark.className = "document-end";
    endMark.textContent = "\u200b";
    let frozenEnd = 0; // characters in the frozen blocks
    let tailIndex = 0;
    let tailCut = 0;

    function renderAll() {
      clearTimeout(renderTimer);
      renderTimer = 0;
      tailDirtyFrom = null;
      tokenShown = null;
      frozenEnd = 0;
      tailIndex = 0;
      tailCut = 0;
      const fragment = document.createDocumentFragment();
      for (const piece of pieces) fragment.append(spanFor(piece));
      fragment.append(endMark);
      tail.replaceChildren(fragment);
      backdrop.replaceChildren(tail);
    }

    // The tail again from the pieces, the frozen blocks kept: for a list of pieces that
    // shows the same as the one before up to frozenEnd (a finished run's stored document in
    // place of its streamed pieces). Otherwise everything again.
    function renderKeeping(before, beforeText) {
      if (!frozenEnd || !sameLook(before, pieces, frozenEnd) || beforeText.slice(0, frozenEnd) !== shown.slice(0, frozenEnd)) {
        renderAll();
        return;
      }
      clearTimeout(renderTimer);
      renderTimer = 0;
      tailDirtyFrom = null;
      tokenShown = null;
      hint = null;
      const found = locate(frozenEnd);
      tailIndex = found.index;
      tailCut = frozenEnd - found.start;
      const fragment = document.createDocumentFragment();
      for (let i = tailIndex; i < pieces.length; i++) {
        fragment.append(spanFor(pieces[i], i === tailIndex ? pieces[i].text.slice(tailCut) : undefined));
      }
      fragment.append(endMark);
      tail.replaceChildren(fragment);
    }

    // Whether two lists of pieces show their first `size` characters with the same classes.
    function sameLook(a, b, size) {
      let i = 0; // piece of a, and characters of it used
      let used = 0;
      let j = 0;
      let usedB = 0;
      let at = 0;
      while (at < size) {
        while (i < a.length && used >= a[i].text.length) { i += 1; used = 0; }
        while (j < b.length && usedB >= b[j].text.length) { j += 1; usedB = 0; }
        if (i >= a.length || j >= b.length) return false;
        if (a[i].look !== b[j].look || tintClass(a[i]) !== tintClass(b[j])) return false;
        const step = Math.min(a[i].text.length - used, b[j].text.length - usedB, size - at);
        used += step;
        usedB += step;
        at += step;
      }
      return true;
    }

    // Characters of the tail up to `offset` (tail characters) into a frozen block, the span
    // cut there split in two.
    function freezeTo(offset) {
      const block = document.createElement("div");
      block.className = "document-frozen";
      let at = 0;
      let moved = 0;
      let span = tail.firstChild;
      while (span && span !== endMark && at + span.textContent.length <= offset) {
        at += span.textContent.length;
        const next = span.nextSibling;
        block.append(span);
        moved += 1;
        span = next;
      }
      let cut = 0;
      if (span && span !== endMark && offset > at) {
        cut = offset - at;
        const text = span.textContent;
        const part = span.cloneNode(false);
        part.textContent = text.slice(0, cut);
        block.append(part);
        span.textContent = text.slice(cut);
      }
      backdrop.insertBefore(block, tail);
      tailCut = moved ? cut : tailCut + cut;
      tailIndex += moved;
      frozenEnd += offset;
    }

    // The tail's text position `offset` as a DOM position (node, offset in it).
    function tailPosition(offset) {
      let at = 0;
      for (let span = tail.firstChild; span && span !== endMark; span = span.nextSibling) {
        const size = span.textContent.length;
        if (offset < at + size) return [span.firstChild, offset - at];
        at += size;
      }
      return null;
    }

    // The top of the line that character `offset` of the tail is on (page pixels).
    const probe = document.createRange();
    function lineTop(offset) {
      const position = tailPosition(offset);
      if (!position) return Infinity;
      probe.setStart(position[0], position[1]);
      probe.setEnd(position[0], position[1] + 1);
      const rects = probe.getClientRects();
      return rects.length ? rects[rects.length - 1].top : probe.getBoundingClientRect().top;
    }

    // While a run streams: once the tail is long, its lines before the last few, and before
    // the text still to change (generated text waits for its tokens frame), are frozen.
    const FREEZE_FROM_CHARS = 3000;
    const TAIL_LINES = 4;
    let freezeFrame = 0;
    function scheduleFreeze() {
      if (freezeFrame || !generation) return;
      if (shown.length - frozenEnd < FREEZE_FROM_CHARS) return;
      freezeFrame = requestAnimationFrame(() => {
        freezeFrame = 0;
        freeze();
      });
    }

    function freeze() {
      if (!generation || !backdrop.isConnected) return;
      renderTail();
      const settled = (generation.k > 0 ? generation.tokensAt : generation.end) - frozenEnd;
      if (settled <= 0 || settled > shown.length - frozenEnd) return;
      const height = parseFloat(getComputedStyle(backdrop).lineHeight) || 24;
      // The line the settled text ends on, and TAIL_LINES lines above it at least.
      const bottom = Math.min(lineTop(settled - 1), tail.getBoundingClientRect().bottom - height);
      const target = bottom - TAIL_LINES * height + height / 2;
      if (lineTop(0) >= target) return;
      // The first character on a line at or below the target: the start of that line.
      let low = 0;
      let high = settled - 1;
      while (low < high) {
        const middle = (low + high) >> 1;
        if (lineTop(middle) >= target) high = middle;
        else low = middle + 1;
      }
      if (low > 0 && lineTop(low) > lineTop(low - 1)) freezeTo(low);
    }

    // A frozen block's lines end where they ended at the width it was frozen at: at another
    // width, the backdrop is laid out whole again.
    let frozenWidth = 0;
    new ResizeObserver(() => {
      const width = backdrop.clientWidth;
      if (width !== frozenWidth) {
        frozenWidth = width;
        if (frozenEnd) renderAll();
      }
    }).observe(backdrop);

    // Where the last replaceRange changed the pieces: piece `index` of `list` starts at
    // `start`, and the pieces before it are as they were. A run writes at the end of the
    // document, so locate walks from there rather than from the first of 20,000 pieces.
    let hint = null;

    // The index of the piece that holds character `offset`, and where that piece starts.
    function locate(offset) {
      let i = 0;
      let at = 0;
      if (hint && hint.list === pieces && hint.index <= pieces.length) {
        i = hint.index;
        at = hint.start;
        while (i > 0 && offset < at) {
          i -= 1;
          at -= pieces[i].text.length;
        }
      }
      for (; i < pieces.length; i++) {
        const next = at + pieces[i].text.length;
        if (offset < next) return { index: i, start: at };
        at = next;
      }
      return { index: pieces.length, start: at };
    }

    // Characters [start, end) become `replacement` (pieces): a generated token cut in two
    // keeps its parts as "generated, then edited", without its probability.
    function replaceRange(start, end, replacement) {
      const first = locate(start);
      const last = locate(end);
      const cut = [];
      if (first.index < pieces.length && start > first.start) {
        const piece = pieces[first.index];
        cut.push(leftover(piece, piece.text.slice(0, start - first.start)));
      }
      cut.push(...replacement);
      let lastIndex = last.index;
      if (last.index < pieces.length && end > last.start) {
        const piece = pieces[last.index];
        cut.push(leftover(piece, piece.text.slice(end - last.start)));
        lastIndex += 1;
      } else if (last.index < pieces.length && end === last.start && end > start) {
        // The range ended where this piece begins: the piece is untouched.
      }
      const from = first.index;
      const removed = Math.max(0, lastIndex - from);
      const kept = cut.filter((piece) => piece.text.length > 0);
      pieces.splice(from, removed, ...kept);
      hint = { list: pieces, index: from, start: first.start };
      // The view: the tail's spans, if the change is in the tail and not in its first
      // piece's frozen part; otherwise (an edit in frozen text) the backdrop again, whole.
      // Outside a run (the user's edits), frozen blocks go: an edit on the tail's first line
      // could move words up onto the frozen line before it, in the textarea.
      if (frozenEnd && (!generation || from < tailIndex || (from === tailIndex && tailCut > 0) || start < frozenEnd)) {
        renderAll();
        return;
      }
      if (generation || tailDirtyFrom !== null) {
        // A run's deltas and tokens go into the tail together, every RENDER_EVERY_MS: the
        // page is then laid out and painted that often, not at each frame of the socket.
        tailDirtyFrom = tailDirtyFrom === null ? from : Math.min(tailDirtyFrom, from);
        if (!generation) renderTail();
        else if (!renderTimer) renderTimer = setTimeout(renderTail, RENDER_EVERY_MS);
        return;
      }
      const children = tail.children;
      const local = from - tailIndex;
      for (let i = 0; i < removed; i++) children[local].remove();
      const before = children[local] || endMark;
      for (const piece of kept) tail.insertBefore(spanFor(piece), before);
    }

    // The tail's spans from pieces[tailDirtyFrom] on, written again.
    const RENDER_EVERY_MS = 50;
    let tailDirtyFrom = null;
    let renderTimer = 0;
    function renderTail() {
      clearTimeout(renderTimer);
      renderTimer = 0;
      if (tailDirtyFrom === null) return;
      const local = tailDirtyFrom - tailIndex;
      tailDirtyFrom = null;
      while (tail.children[local] && tail.children[local] !== endMark) tail.children[local].remove();
      const fragment = document.createDocumentFragment();
      for (let i = tailIndex + local; i < pieces.length; i++) {
        fragment.append(spanFor(pieces[i], i === tailIndex ? pieces[i].text.slice(tailCut) : undefined));
      }
      tail.insertBefore(fragment, endMark);
      scheduleFreeze();
    }

    function leftover(piece, text) {
      if (piece.look === "p") return { look: "p", text };
      return { look: "e", text };
    }

    function looksOf(list) {
      const looks = [];
      for (const piece of list) {
        const size = piece.text.length;
        if (!size) continue;
        const last = looks[looks.length - 1];
        if (last && last[0] === piece.look) last[1] += size;
        else looks.push([piece.look, size]);
      }
      return looks;
    }

    function remember() {
      looksInput.value = JSON.stringify(looksOf(pieces));
    }

    // Autosave (playground.js) saves on the form's input events.
    function changed() {
      remember();
      looksInput.dispatchEvent(new Event("input", { bubbles: true }));
    }

    // The user's edits: what changed between the text shown and the textarea's is typed.
    textarea.addEventListener("input", () => {
      const before = shown;
      const after = textarea.value;
      if (before === after) return;
      let a = 0;
      const shortest = Math.min(before.length, after.length);
      while (a < shortest && before[a] === after[a]) a++;
      let b = 0;
      while (b < shortest - a && before[before.length - 1 - b] === after[after.length - 1 - b]) b++;
      const inserted = after.slice(a, after.length - b);
      replaceRange(a, before.length - b, inserted ? [{ look: "p", text: inserted }] : []);
      shown = after;
      remember();
      stopExploring();
      showCaretState();
    }, true);

    textarea.addEventListener("scroll", () => {
      backdrop.scrollTop = textarea.scrollTop;
    });

    // --- Loading a node ----------------------------------------------------------------------
    function show(doc) {
      current = doc;
      // The prompt's tokens that the node's ancestors generated keep their odds and their
      // place in the tree, to branch from as from any token (common.js DocumentPieces).
      const { before, generated, after } = DocumentPieces.split(doc);
      const shownBefore = { pieces, text: shown };
      pieces = [...before, ...generated, ...after];
      const text = doc.prompt + doc.text + doc.suffix;
      // The same text as streamed: the textarea is not laid out again for nothing.
      if (textarea.value !== text) textarea.value = text;
      shown = text;
      const caret = doc.prompt.length + doc.text.length;
      textarea.setSelectionRange(caret, caret);
      nodeInput.value = doc.node;
      renderKeeping(shownBefore.pieces, shownBefore.text);
      renderTree();
      changed();
      stopExploring();
      showCaretState();
    }

    async function loadNode(id) {
      const [run, choice] = id.split(":");
      const response = await fetch(urls.document(run) + "?choice=" + encodeURIComponent(choice), {
        credentials: "same-origin",
      });
      if (!response.ok) {
        say("That node could not be loaded (the server answered " + response.status + ").");
        return false;
      }
      show(await response.json());
      return true;
    }

    // The tree, and the version of the document the server stores (null if not fetched).
    async function refreshTree() {
      const response = await fetch(urls.tree, { credentials: "same-origin" });
      if (!response.ok) return null;
      const body = await response.json();
      nodes = body.nodes;
      pruned = body.pruned;
      renderTree();
      return body.document_version;
    }

    // --- Runs into the document --------------------------------------------------------------
    // The run message's editor fields: where the caret is, the text after it goes as suffix
    // (insert mode), where the provider honours suffix.
    function runFields(branch) {
      if (branch) return branch;
      const text = textarea.value;
      let at = text.length;
      if (insertMode()) at = textarea.selectionStart;
      return {
        prompt: text.slice(0, at),
        suffix: text.slice(at),
        parent: nodeInput.value,
        looks: JSON.stringify(looksOf(pieces)),
        insertAt: at,
      };
    }

    function insertMode() {
      const text = textarea.value;
      const caret = textarea.selectionStart;
      return (
        document.activeElement === textarea || textarea.dataset.caretKept === "true"
      ) && textarea.selectionStart === textarea.selectionEnd && caret < text.length &&
        text.slice(caret).trim() !== "" && capabilities.suffix !== false;
    }

    function showCaretState() {
      if (!modeNote) return;
      const text = textarea.value;
      const caret = textarea.selectionStart;
      const inside = caret < text.length && text.slice(caret).trim() !== "" &&
        textarea.selectionStart === textarea.selectionEnd;
      if (!inside) {
        modeNote.textContent = "";
        modeNote.hidden = true;
      } else if (capabilities.suffix === false) {
        modeNote.textContent =
          "Insert mode is off for this model: its probe found it does not honour suffix. " +
          "Submit continues from the end of the document.";
        modeNote.title = (capabilities.evidence && capabilities.evidence.suffix) || "";
        modeNote.hidden = false;
      } else {
        modeNote.textContent = capabilities.suffix === true
          ? "Insert mode: the text after the cursor is sent as suffix."
          : "Insert mode: the text after the cursor is sent as suffix. The probe has not " +
            "measured whether this model honours it.";
        modeNote.hidden = false;
      }
      showToken();
    }

    // data-busy on the document: a run writes into it, or its node is loading.
    const box = textarea.closest(".document");
    function started(frame, fields) {
      box.dataset.busy = "true";
      textarea.readOnly = true;
      const at = fields.insertAt;
      // untokened: the text from tokensAt to end, still waiting for its tokens frame.
      generation = { run: frame.run, start: at, end: at, tokensAt: at, k: 0, untokened: "" };
      redo.length = 0;
      leaveExplorer();
    }

    // While a run streams, the backdrop (what shows) takes each delta at once, and the
    // textarea (transparent, read-only and not laid out until the run ends) takes them
    // together at most every TEXTAREA_EVERY_MS. `shown` is always the whole text;
    // flushStream() brings the textarea up to it.
    const TEXTAREA_EVERY_MS = 250;
    let unwritten = null; // {at, text}: streamed text not yet in the textarea
    let writeTimer = 0;
    function flushStream() {
      clearTimeout(writeTimer);
      writeTimer = 0;
      if (!unwritten) return;
      const { at, text } = unwritten;
      unwritten = null;
      textarea.setRangeText(text, at, at, "end");
    }

    function delta(frame) {
      if (!generation || frame.run !== generation.run) return;
      const text = frame.choices["0"];
      if (!text) return;
      const at = generation.end;
      if (unwritten) unwritten.text += text;
      else unwritten = { at, text };
      if (!writeTimer) writeTimer = setTimeout(flushStream, TEXTAREA_EVERY_MS);
      // Appended where it can be: slicing a 100 K string copies it, at every delta.
      shown = at === shown.length ? shown + text : shown.slice(0, at) + text + shown.slice(at);
      generation.untokened += text;
      replaceRange(at, at, [{ look: "g", text, node: generation.run + ":0" }]);
      generation.end += text.length;
    }

    // Each token's probability, as it streams (the tokens frame comes after its text).
    function tokens(frame) {
      if (!generation || frame.run !== generation.run) return;
      const list = frame.choices["0"];
      if (!list) return;
      for (const [text, lp, top] of list) {
        const start = generation.tokensAt;
        const end = start + text.length;
        if (end > generation.end || !generation.untokened.startsWith(text)) break;
        replaceRange(start, end, [
          { look: "g", text, lp, top, node: generation.run + ":0", tok: generation.k },
        ]);
        generation.tokensAt = end;
        generation.untokened = generation.untokened.slice(text.length);
        generation.k += 1;
      }
    }

    async function finished(frame) {
      flushStream();
      renderTail();
      textarea.readOnly = false;
      const run = generation ? generation.run : frame.run;
      // At once: a continuation asked for before the node has loaded grows from it.
      if (generation && generation.end > generation.start) nodeInput.value = run + ":0";
      generation = null;
      let version = null;
      try {
        version = await refreshTree();
        if (frame.saved === false) {
          changed();
          return;
        }
        if (nodes.some((node) => node.id === run + ":0")) await loadNode(run + ":0");
      } finally {
        // In a task of its own: after a long run, showing the node is work enough for one.
        await new Promise((resolve) => setTimeout(resolve, 0));
        // The server took the run into its stored document (sessions/state.py) before the
        // page heard the run had finished. Saves sent before this document showed the run
        // carry the version before, and leave the stored one alone; from here on they are
        // based on it.
        if (versionInput && version !== null && version !== undefined) {
          versionInput.value = String(version);
          changed();
        }
        if (!generation) endBusy(); // unless the next run has started meanwhile
      }
    }

    // The textarea is laid out again (see .document[data-busy] in the stylesheet), at the
    // place in the document the backdrop was scrolled to meanwhile.
    function endBusy() {
      const top = backdrop.scrollTop; // read before the change: no layout for it
      delete box.dataset.busy;
      requestAnimationFrame(() => {
        if (!box.dataset.busy) textarea.scrollTop = top;
      });
    }

    function failed() {
      flushStream();
      renderTail();
      textarea.readOnly = false;
      generation = null;
      endBusy();
    }

    // A node the user chose (in the tree, or a run card's or a comparison column's "Open in
    // the editor"), unless a run is writing into the document: true once it shows.
    async function chooseNode(id) {
      if (textarea.readOnly) {
        say("A run is writing into the document: stop it, or wait for it to end.");
        return false;
      }
      return loadNode(id);
    }

    // --- Undo, redo, regenerate -------------------------------------------------------------
    function nodeById(id) {
      return nodes.find((node) => node.id === id) || null;
    }

    // Undo a completion: the document as it was sent for the node on show, which is the
    // node's parent's place in the tree. The completion stays in the tree; redo brings it.
    function undo() {
      if (!current || !nodeById(current.node)) return say("No completion to undo.");
      redo.push(current.node);
      const node = nodeById(current.node);
      const doc = current;
      pieces = DocumentPieces.fromLooks(doc.prompt + doc.suffix, doc.looks);
      textarea.value = doc.prompt + doc.suffix;
      shown = textarea.value;
      textarea.setSelectionRange(doc.prompt.length, doc.prompt.length);
      nodeInput.value = node.parent || "";
      current = null;
      renderAll();
      renderTree();
      changed();
      // As show() does: the Undo button has the focus, so no selectionchange tells the panel.
      stopExploring();
      showCaretState();
      say("Undid the completion. Redo: Alt+Shift+Z.");
    }

    async function redoCompletion() {
      const id = redo.pop();
      if (!id) return say("Nothing to redo.");
      if (await loadNode(id)) say("Redid the completion.");
    }

    // Regenerate the completion on show: the same prompt, from the same place in the tree,
    // as a sibling of it.
    function regenerate() {
      if (!current) return null;
      const node = nodeById(current.node);
      if (!node) return null;
      return {
        prompt: current.prompt,
        suffix: current.suffix,
        parent: node.parent || "",
        branch_token: node.branch_token === null ? "" : String(node.branch_token),
        forced_text: node.forced_text || "",
        looks: JSON.stringify(current.looks),
        insertAt: current.prompt.length,
        replace: true,
      };
    }

    // Before a regenerated or branched run streams in, the document drops what it replaces.
    function prepare(fields) {
      if (!fields.replace) return;
      const text = fields.prompt + fields.suffix;
      pieces = fields.pieces || DocumentPieces.fromLooks(text, JSON.parse(fields.looks));
      textarea.value = text;
      shown = text;
      renderAll();
    }

    // --- Token alternatives and branches -----------------------------------------------------
    function pieceAtCaret() {
      const caret = textarea.selectionStart;
      let found = locate(caret);
      // At the end of a token, the caret shows the token it follows.
      if ((found.index >= pieces.length || found.start === caret) && caret > 0) found = locate(caret - 1);
      const piece = pieces[found.index];
      return piece ? { piece, start: found.start } : null;
    }

    const visible = TreePanel.visible;

    let tokenShown = null;
    function showToken() {
      if (!tokenPanel || tokenPanel.dataset.mode === "explore") return;
      const found = pieceAtCaret();
      // The same token as shown already: its buttons stay (one may be about to be clicked).
      const key = found ? found.piece : null;
      if (key !== null && key === tokenShown) return;
      tokenShown = key;
      const heading = tokenPanel.querySelector("h3");
      const list = tokenPanel.querySelector("ol");
      const note = tokenPanel.querySelector(".token-note");
      list.replaceChildren();
      if (!found || found.piece.look !== "g" || typeof found.piece.lp !== "number") {
        heading.textContent = "Token alternatives";
        note.textContent = !found || found.piece.look === "p"
          ? "Put the cursor in generated text to see its token's alternatives."
          : found.piece.look === "e"
            ? "This text was generated, then edited: it has no probabilities of its own."
            : found.piece.node
              ? "This text came without probabilities: switch on Show probabilities and generate."
              : "An earlier completion wrote this: select its node in the tree for its alternatives.";
        return;
      }
      const { piece, start } = found;
      heading.textContent = "“" + visible(piece.text) + "” " + Odds.percent(piece.lp);
      const alternatives = Object.entries(piece.top || {}).sort((x, y) => y[1] - x[1]);
      note.textContent = alternatives.length
        ? "Choose one to branch: the text is cut before this token, the alternative goes in, and generation goes on. The old continuation stays in the tree."
        : "The provider sent no alternatives for this token.";
      for (const [text, lp] of alternatives) {
        const item = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "alternative" + (text === piece.text ? " chosen" : "");
        const label = document.createElement("span");
        label.className = "alt-text";
        label.textContent = visible(text);
        const p = document.createElement("span");
        p.className = "alt-p";
        p.textContent = Odds.percent(lp);
        const bar = document.createElement("span");
        bar.className = "alt-bar";
        bar.style.width = Math.max(1, Math.round(Math.exp(lp) * 100)) + "%";
        button.append(label, p, bar);
        button.disabled = text === piece.text;
        button.title = text === piece.text ? "The token generated" : "Branch from here with this token";
        button.addEventListener("click", () => options.branch(branchFields(piece, start, text, lp)));
        item.append(button);
        list.append(item);
      }
    }

    function branchFields(piece, start, text, lp) {
      const kept = [];
      let at = 0;
      for (const p of pieces) {
        if (at >= start) break;
        const end = at + p.text.length;
        kept.push(end <= start ? p : leftover(p, p.text.slice(0, start - at)));
        at = end;
      }
      const forced = { look: "g", text, lp, node: null };
      const prompt = shown.slice(0, start) + text;
      const list = [...kept, forced];
      return {
        prompt,
        suffix: "",
        parent: piece.node,
        branch_token: String(piece.tok),
        forced_text: text,
        looks: JSON.stringify(looksOf(list)),
        insertAt: prompt.length,
        replace: true,
        pieces: list,
      };
    }

    // --- The next-token explorer and prompt scoring ------------------------------------------
    function exploreFields() {
      const at = textarea.selectionStart === textarea.selectionEnd ? textarea.selectionStart : textarea.value.length;
      return { prompt: textarea.value.slice(0, at), at };
    }

    // prompt: the text before the cursor the distribution was asked for, at `at`. An answer
    // for a document that has changed since (typed into, a run, a node shown) is dropped.
    function explored(frame, at, prompt) {
      if (textarea.value.slice(0, at) !== prompt) return;
      tokenPanel.dataset.mode = "explore";
      const heading = tokenPanel.querySelector("h3");
      const list = tokenPanel.querySelector("ol");
      const note = tokenPanel.querySelector(".token-note");
      heading.textContent = "Next token at the cursor";
      note.textContent = "Choose one to put it in and look at the next (Esc leaves the explorer).";
      list.replaceChildren();
      for (const alternative of frame.alternatives) {
        const item = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "alternative";
        const label = document.createElement("span");
        label.className = "alt-text";
        label.textContent = visible(alternative.text);
        const p = document.createElement("span");
        p.className = "alt-p";
        p.textContent = typeof alternative.logprob === "number" ? Odds.percent(alternative.logprob) : "?";
        const bar = document.createElement("span");
        bar.className = "alt-bar";
        bar.style.width = Math.max(1, Math.round(Math.exp(alternative.logprob || -99) * 100)) + "%";
        button.append(label, p, bar);
        button.addEventListener("click", () => {
          force(at, alternative);
          options.explore();
        });
        item.append(button);
        list.append(item);
      }
      const first = list.querySelector("button");
      if (first && tokenPanel.contains(document.activeElement)) first.focus();
    }

    // A token chosen in the explorer goes in at the cursor, as generated text.
    function force(at, alternative) {
      textarea.setRangeText(alternative.text, at, at, "end");
      shown = textarea.value;
      replaceRange(at, at, [{ look: "g", text: alternative.text, lp: alternative.logprob }]);
      textarea.setSelectionRange(at + alternative.text.length, at + alternative.text.length);
      textarea.dataset.caretKept = "true";
      changed();
    }

    // The explorer's list is the next token after the text it was asked for: whatever else
    // changes the document (an edit, a run, a node shown, undo) ends it, or a choice would go
    // in at a place that no longer follows that text.
    function stopExploring() {
      if (!tokenPanel || tokenPanel.dataset.mode !== "explore") return false;
      delete tokenPanel.dataset.mode;
      return true;
    }

    function leaveExplorer() {
      if (!stopExploring()) return false;
      showToken();
      return true;
    }

    function scored(frame) {
      // The prompt's own tokens, tinted by surprisal wherever they still spell the document.
      let changedAny = false;
      for (const token of frame.tokens) {
        const start = token.offset;
        const end = start + token.text.length;
        if (typeof token.logprob !== "number" || shown.slice(start, end) !== token.text) continue;
        const found = locate(start);
        const piece = pieces[found.index];
        const look = piece ? piece.look : "p";
        replaceRange(start, end, [{ look, text: token.text, lp: token.logprob }]);
        changedAny = true;
      }
      if (changedAny && probabilities && !probabilities.checked) {
        probabilities.checked = true;
        probabilities.dispatchEvent(new Event("change", { bubbles: true }));
      }
      setTintMode("surprisal");
      renderAll();
      return changedAny;
    }

    // --- The probability switch and its legend ------------------------------------------------
    function setTintMode(mode) {
      tintMode = mode;
      localStorage.setItem("playground.tintMode", mode);
      tintModes.forEach((input) => { input.checked = input.value === mode; });
      if (legend) legend.dataset.mode = mode;
      renderAll();
    }
    tintModes.forEach((input) => input.addEventListener("change", () => setTintMode(input.value)));
    if (probabilities) {
      probabilities.addEventListener("change", () => {
        if (legend) legend.hidden = !probabilities.checked;
        renderAll();
      });
      if (legend) legend.hidden = !probabilities.checked;
    }

    // --- The tree panel (tree_panel.js) ---------------------------------------------------------
    const treeView = TreePanel(treePanel, {
      empty: "No completions yet: each one you generate becomes a node here.",
      choose(item) {
        item.focus();
        if (nodeInput.value !== item.dataset.node) chooseNode(item.dataset.node);
      },
      keys: {
        Delete: (item) => prune(item.dataset.node),
        Backspace: (item) => prune(item.dataset.node),
        Enter: () => textarea.focus(),
        " ": () => textarea.focus(),
      },
    });

    function renderTree() {
      treeView.show(nodes, nodeInput.value);
      renderPruned();
    }

    // The pruned branches, each with a button that brings it back (until the session is
    // emptied from the trash). Labels are model output: text, never markup.
    const prunedBox = document.getElementById("pruned-branches");
    function renderPruned() {
      if (!prunedBox) return;
      prunedBox.hidden = pruned.length === 0;
      prunedBox.querySelector(".count").textContent = String(pruned.length);
      const list = prunedBox.querySelector("ul");
      list.replaceChildren(...pruned.map((branch) => {
        const item = document.createElement("li");
        const label = document.createElement("span");
        label.className = "pruned-label";
        label.textContent = branch.label;
        const detail = document.createElement("small");
        detail.textContent = " " + branch.model +
          (branch.runs > 1 ? " · " + branch.runs + " runs" : "");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "link";
        button.textContent = "Bring back";
        button.setAttribute("aria-label", "Bring back: " + branch.label);
        button.addEventListener("click", () => unprune(branch.run));
        item.append(label, detail, " ", button);
        return item;
      }));
    }

    let lastPruned = null;
    async function prune(id) {
      const run = id.split(":")[0];
      const response = await fetch(urls.prune(run), {
        method: "POST", headers: options.csrfHeaders, credentials: "same-origin",
      });
      if (!response.ok) return say("Not pruned: the server answered " + response.status + ".");
      ({ nodes, pruned } = await response.json());
      lastPruned = run;
      if (!nodeById(nodeInput.value)) nodeInput.value = "";
      renderTree();
      say("Pruned the run and its branches. Undo: Alt+U.", true);
    }

    // Brings back the branch given, else the one pruned last (after a reload: the newest
    // in the pruned list).
    async function unprune(which) {
      const run = typeof which === "number" || typeof which === "string"
        ? which : lastPruned || (pruned.length ? pruned[0].run : null);
      if (run === null) return say("Nothing pruned to bring back.");
      const response = await fetch(urls.unprune(run), {
        method: "POST", headers: options.csrfHeaders, credentials: "same-origin",
      });
      if (!response.ok) return say("Not restored: the server answered " + response.status + ".");
      ({ nodes, pruned } = await response.json());
      if (String(run) === String(lastPruned)) lastPruned = null;
      renderTree();
      say("The pruned branch is back.");
    }

    function say(text, withUndo) {
      if (!treeStatus) return;
      treeStatus.textContent = text;
      const undoButton = document.getElementById("unprune-button");
      if (undoButton) undoButton.hidden = !withUndo;
    }

    const unpruneButton = document.getElementById("unprune-button");
    if (unpruneButton) unpruneButton.addEventListener("click", unprune);

    // --- Start ---------------------------------------------------------------------------------
    document.addEventListener("selectionchange", () => {
      if (document.activeElement === textarea) {
        delete textarea.dataset.caretKept;
        showCaretState();
      }
    });
    if (probabilities) setTintMode(tintMode);
    pieces = DocumentPieces.fromLooks(textarea.value, JSON.parse(looksInput.value || "[]"));
    if (nodeInput.value && !nodeById(nodeInput.value)) nodeInput.value = "";
    renderAll();
    renderTree();
    remember();
    // The node the document was last taken from, for Regenerate and Undo after a reload;
    // the document itself stays as it was saved, edits and all (as the node, with its
    // tokens' odds, when it was not edited since).
    // `ready` settles once it has come (or failed): Regenerate and Undo wait for it.
    let ready = Promise.resolve();
    if (nodeInput.value) {
      const [run, choice] = nodeInput.value.split(":");
      ready = fetch(urls.document(run) + "?choice=" + encodeURIComponent(choice), { credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : null))
        .then((doc) => {
          if (!doc || current || doc.node !== nodeInput.value) return;
          // Unedited since, the document shows the node again: its tokens' odds too.
          if (!generation && doc.prompt + doc.text + doc.suffix === textarea.value) show(doc);
          else current = doc;
        }, () => {});
    }

    return {
      runFields, started, delta, tokens, finished, failed, prepare, regenerate, undo,
      redo: redoCompletion, exploreFields, explored, scored, leaveExplorer, unprune,
      refreshTree,
      async open(id) {
        if (await chooseNode(id)) textarea.focus();
      },
      ready: () => ready,
      setCapabilities(found) {
        capabilities = found || {};
        // Said before sending: what this model cannot do, as its probe found.
        const score = document.getElementById("score-button");
        const explore = document.getElementById("explore-button");
        score.toggleAttribute("data-unavailable", capabilities.echo_logprobs === false);
        score.title = capabilities.echo_logprobs === false
          ? "This model returns no log probabilities for the prompt's own tokens (measured by the provider's probe)."
          : "Tint the prompt's tokens by surprisal and give its perplexity.";
        explore.toggleAttribute("data-unavailable", capabilities.max_logprobs === 0);
        explore.title = capabilities.max_logprobs === 0
          ? "This model returns no log probabilities (measured by the provider's probe)."
          : "The distribution of the next token at the cursor.";
        showCaretState();
      },
      get capabilities() { return capabilities; },
      focusTree: () => treeView.focus(),
      say,
    };
  }

  window.PlaygroundEditor = Editor;
})();
