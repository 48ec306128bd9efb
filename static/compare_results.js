// A comparison's columns as they stream and end, side by side, from the template of
// runs/compare_results.html: the session page (compare.js) and the share page (watch.js)
// both show them. Each column's header, its text, its figures once it ends, and where it
// departs from the first column. Model output goes into the page through textContent only.
(function () {
  "use strict";

  function settingsText(request) {
    const keys = ["temperature", "top_p", "max_tokens", "seed"];
    const parts = keys.filter((key) => key in request).map((key) => key + " " + request[key]);
    return parts.length ? parts.join(" · ") : "the API's defaults";
  }

  function figuresText(frame) {
    const parts = [];
    if (frame.time_to_first_token_ms !== null && frame.time_to_first_token_ms !== undefined) {
      parts.push("first token " + Math.round(frame.time_to_first_token_ms) + " ms");
    }
    if (frame.tokens_per_second) parts.push(frame.tokens_per_second.toFixed(1) + " tokens/s");
    if (frame.completion_tokens !== null && frame.completion_tokens !== undefined) {
      parts.push(frame.completion_tokens + " tokens");
    }
    if (frame.usage && frame.usage.total_tokens !== undefined) {
      parts.push("usage " + frame.usage.prompt_tokens + " + " + frame.usage.completion_tokens);
    }
    if (frame.cost !== null && frame.cost !== undefined) parts.push("cost " + frame.cost);
    const reasons = (frame.finish_reasons || []).filter((r) => r);
    if (reasons.length) parts.push("finish_reason: " + reasons.join(", "));
    return frame.status + (parts.length ? " · " + parts.join(" · ") : "");
  }

  function quoted(token) {
    if (!token) return "its end";
    return "“" + token[0] + "”" + (typeof token[1] === "number" ? " (" + Odds.percent(token[1]) + ")" : "");
  }

  // results: the element the columns go in. options.stop(run) and options.open(run), when
  // given, get a Stop and an "Open in the editor" button on each column.
  function CompareResults(results, options) {
    const template = document.getElementById("compare-result-template");
    let shown = new Map(); // run id → {column, box, text, tokens, done}

    function layout(columns) {
      shown = new Map();
      results.replaceChildren();
      results.style.setProperty("--columns", String(columns.length));
      for (const column of columns) {
        const box = template.content.firstElementChild.cloneNode(true);
        box.querySelector(".result-title").textContent =
          "Column " + (column.column + 1) + ": " + column.provider + " · " + column.model;
        box.querySelector(".result-settings").textContent = settingsText(column.request || {});
        const stop = box.querySelector("[data-result-stop]");
        const open = box.querySelector("[data-result-open]");
        if (options.stop) {
          stop.addEventListener("click", () => {
            if (options.stop(column.run)) box.querySelector(".result-figures").textContent = "Stopping…";
          });
        } else {
          stop.remove();
        }
        if (options.open) open.addEventListener("click", () => options.open(column.run));
        else open.remove();
        results.append(box);
        shown.set(column.run, { column: column.column, box, text: "", tokens: [], done: false });
      }
    }

    function owns(run) {
      return shown.has(run) && !shown.get(run).done;
    }

    function delta(frame) {
      const entry = shown.get(frame.run);
      const text = frame.choices["0"];
      if (!entry || !text) return;
      entry.text += text;
      entry.box.querySelector(".result-text").append(document.createTextNode(text));
    }

    function tokens(frame) {
      const entry = shown.get(frame.run);
      const list = frame.choices["0"];
      if (entry && list) entry.tokens.push(...list);
    }

    function columnFinished(frame) {
      const entry = shown.get(frame.run);
      if (!entry) return;
      entry.done = true;
      entry.status = frame.status;
      const box = entry.box;
      box.dataset.status = frame.status;
      box.querySelector(".result-figures").textContent = figuresText(frame);
      const stop = box.querySelector("[data-result-stop]");
      if (stop) stop.hidden = true;
      const open = box.querySelector("[data-result-open]");
      if (open) open.hidden = !entry.text;
      const error = box.querySelector(".result-error");
      error.textContent = frame.error || "";
      error.hidden = !frame.error;
    }

    // Where each column departs from the first: token by token where both have tokens
    // (logprobs on), else character by character. The departing part is marked.
    function markDivergence() {
      const entries = [...shown.values()].sort((a, b) => a.column - b.column);
      const first = entries[0];
      if (!first) return;
      for (const entry of entries.slice(1)) {
        const note = entry.box.querySelector(".result-divergence");
        const textBox = entry.box.querySelector(".result-text");
        // A column that failed before its first token has nothing to depart with.
        if (!first.text || !entry.text) {
          note.textContent = first.text ? "No text to compare with column 1." : "Column 1 has no text to compare with.";
          continue;
        }
        if (entry.text === first.text) {
          note.textContent = "Same text as column 1.";
          continue;
        }
        let at = 0;
        if (entry.tokens.length && first.tokens.length) {
          let k = 0;
          while (k < entry.tokens.length && k < first.tokens.length &&
                 entry.tokens[k][0] === first.tokens[k][0]) {
            at += entry.tokens[k][0].length;
            k++;
          }
          note.textContent = "Departs from column 1 at token " + (k + 1) + ": " +
            quoted(entry.tokens[k]) + " where column 1 has " + quoted(first.tokens[k]) + ".";
        } else {
          while (at < entry.text.length && at < first.text.length && entry.text[at] === first.text[at]) at++;
          const where = "at character " + (at + 1);
          if (at === entry.text.length) note.textContent = "Ends " + where + ", where column 1 goes on.";
          else if (at === first.text.length) note.textContent = "Goes on " + where + ", where column 1 ends.";
          else note.textContent = "Departs from column 1 " + where + ".";
        }
        const mark = document.createElement("mark");
        mark.className = "diverges";
        mark.textContent = entry.text.slice(at);
        textBox.replaceChildren(document.createTextNode(entry.text.slice(0, at)), mark);
      }
    }

    // A stored comparison (runs/comparisons.py newest_comparison), as it ended.
    function showStored(data) {
      layout(data.results);
      for (const result of data.results) {
        const entry = shown.get(result.run);
        entry.text = result.text;
        entry.tokens = result.tokens || [];
        entry.box.querySelector(".result-text").textContent = result.text;
        columnFinished(result);
      }
      markDivergence();
    }

    // "3 columns." when every column completed, else how many ended which way:
    // "4 columns: 3 completed, 1 failed."
    function summary() {
      const counts = new Map();
      for (const entry of shown.values()) {
        const status = entry.status || "not finished";
        counts.set(status, (counts.get(status) || 0) + 1);
      }
      const size = shown.size + " column" + (shown.size === 1 ? "" : "s");
      if (counts.size === 1 && counts.has("completed")) return size + ".";
      return size + ": " + [...counts].map(([status, n]) => n + " " + status).join(", ") + ".";
    }

    return {
      layout, owns, delta, tokens, columnFinished, markDivergence, showStored, summary,
    };
  }

  window.CompareResults = CompareResults;
})();
