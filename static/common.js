// Behaviour every page shares: confirmations and copy buttons; how a token's probability is
// written (the editor's alternatives, a comparison's columns); and how a node's document is
// cut into pieces (the editor, a share page).
(function () {
  "use strict";

  // A log probability as a percentage: whole above 10%, then one or two decimals.
  window.Odds = {
    percent(lp) {
      const p = Math.exp(lp) * 100;
      return (p >= 10 ? p.toFixed(0) : p >= 1 ? p.toFixed(1) : p.toFixed(2)) + "%";
    },
  };

  // A node's document (runs/tree.py document()) as pieces of text, each {look, text} and a
  // token's {lp, top, node, tok} too: the page's editor and a share page draw the same.
  window.DocumentPieces = {
    // Text cut by looks ([look, size] pairs); past the last, typed text.
    fromLooks(text, looks) {
      const list = [];
      let at = 0;
      for (const [look, size] of looks) {
        list.push({ look, text: text.slice(at, at + size) });
        at += size;
      }
      if (at < text.length) list.push({ look: "p", text: text.slice(at) });
      return list;
    },

    // before: the prompt, its generated stretches cut into the tokens the node's ancestors
    // generated there (inherited_tokens: [offset, node, k, text, logprob, top]), each with
    // its odds and its place in the tree; generated: the node's own text or tokens; after:
    // the suffix.
    split(doc) {
      const before = [];
      const after = [];
      let at = 0;
      for (const piece of this.fromLooks(doc.prompt + doc.suffix, doc.looks)) {
        const end = at + piece.text.length;
        if (end <= doc.prompt.length) before.push(piece);
        else if (at >= doc.prompt.length) after.push(piece);
        else {
          before.push({ look: piece.look, text: piece.text.slice(0, doc.prompt.length - at) });
          after.push({ look: piece.look, text: piece.text.slice(doc.prompt.length - at) });
        }
        at = end;
      }
      const generated = doc.tokens
        ? doc.tokens.map(([text, lp, top], k) => ({ look: "g", text, lp, top, node: doc.node, tok: k }))
        : doc.text ? [{ look: "g", text: doc.text, node: doc.node }] : [];
      return { before: withInherited(before, doc.prompt_tokens), generated, after };
    },
  };

  function withInherited(prompt, tokens) {
    if (!tokens || !tokens.length) return prompt;
    const out = [];
    let at = 0;
    let t = 0;
    for (const piece of prompt) {
      const end = at + piece.text.length;
      let cursor = at;
      while (t < tokens.length && tokens[t][0] < end) {
        const [offset, node, k, text, lp, top] = tokens[t];
        t += 1;
        if (piece.look !== "g" || offset < cursor || offset + text.length > end) continue;
        if (offset > cursor) out.push({ look: "g", text: piece.text.slice(cursor - at, offset - at) });
        out.push({ look: "g", text, lp, top, node, tok: k });
        cursor = offset + text.length;
      }
      if (cursor === at) out.push(piece);
      else if (cursor < end) out.push({ look: piece.look, text: piece.text.slice(cursor - at) });
      at = end;
    }
    return out;
  }

  // Forms with data-confirm ask first (deleting a session, revoking a link...).
  document.addEventListener("submit", (event) => {
    const message = event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // Copy buttons: data-copy names the input or textarea whose value is copied.
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const source = document.getElementById(button.dataset.copy);
    try {
      await navigator.clipboard.writeText(source.value);
    } catch (e) {
      // Pages served over plain http (not localhost) have no clipboard API.
      source.hidden = false;
      source.select();
      document.execCommand("copy");
      source.hidden = true;
    }
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = "Copy"; }, 1500);
  });
})();
