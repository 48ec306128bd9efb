// The session page's comparison (templates/sessions/compare_panel.html): columns of settings,
// one prompt sent to all of them over the page's socket, their completions streaming side
// by side, each with its figures and where it departs from the first column.
// Model output goes into the page through textContent only.
(function () {
  "use strict";

  const MIN_COLUMNS = 2;
  const MAX_COLUMNS = 6;
  const FIELDS = ["provider", "model", "temperature", "top_p", "max_tokens", "seed"];

  function percent(lp) {
    const p = Math.exp(lp) * 100;
    return (p >= 10 ? p.toFixed(0) : p.toPrecision(2)) + "%";
  }

  // options: send(message) → bool, message() → the form's fields with the document as
  // prompt (the run message without its action), formValue(name), onStart(), onEnd(),
  // open(nodeId): shows a node in the editor.
  function Compare(options) {
    const panel = document.getElementById("compare-panel");
    const columnsBox = document.getElementById("compare-columns");
    const results = document.getElementById("compare-results");
    const status = document.getElementById("compare-status");
    const addButton = document.getElementById("compare-add");
    const runButton = document.getElementById("compare-run");
    const stopButton = document.getElementById("compare-stop");
    const columnTemplate = document.getElementById("compare-column-template");
    const resultTemplate = document.getElementById("compare-result-template");
    const providerOptions = document.getElementById("id_provider");

    // The comparison going or shown: run id → {column, box, text, tokens, done}.
    let shown = new Map();
    let pending = false;
    let going = false;

    // --- Columns of settings -----------------------------------------------------------------
    function columnBoxes() {
      return [...columnsBox.querySelectorAll(".compare-column")];
    }

    function addColumn(values) {
      if (columnBoxes().length >= MAX_COLUMNS) return null;
      const box = columnTemplate.content.firstElementChild.cloneNode(true);
      const select = box.querySelector('[data-column-field="provider"]');
      for (const option of providerOptions.options) {
        select.append(new Option(option.textContent.trim(), option.value));
      }
      for (const name of FIELDS) {
        const input = box.querySelector('[data-column-field="' + name + '"]');
        input.value = values[name] === undefined || values[name] === null ? "" : values[name];
      }
      columnsBox.append(box);
      renumber();
      return box;
    }

    function valuesOf(box) {
      const values = {};
      for (const name of FIELDS) {
        values[name] = box.querySelector('[data-column-field="' + name + '"]').value;
      }
      return values;
    }

    function renumber() {
      const boxes = columnBoxes();
      boxes.forEach((box, i) => {
        box.querySelector(".column-number").textContent = String(i + 1);
        box.querySelector("[data-column-remove]").disabled = boxes.length <= MIN_COLUMNS;
        box.querySelector("[data-column-duplicate]").disabled = boxes.length >= MAX_COLUMNS;
      });
      addButton.disabled = boxes.length >= MAX_COLUMNS;
    }

    columnsBox.addEventListener("click", (event) => {
      const box = event.target.closest(".compare-column");
      if (!box) return;
      if (event.target.closest("[data-column-duplicate]")) {
        const copy = addColumn(valuesOf(box));
        if (copy) box.after(copy);
        renumber();
      } else if (event.target.closest("[data-column-remove]") && columnBoxes().length > MIN_COLUMNS) {
        box.remove();
        renumber();
      }
    });
    addButton.addEventListener("click", () => {
      const boxes = columnBoxes();
      addColumn(valuesOf(boxes[boxes.length - 1]));
    });

    // --- Sending -----------------------------------------------------------------------------
    function compare() {
      if (going || pending) return;
      columnBoxes().forEach((box) => { box.querySelector(".column-error").textContent = ""; });
      const columns = columnBoxes().map(valuesOf);
      if (!options.send({ ...options.message(), action: "compare", columns })) return;
      pending = true;
      runButton.disabled = true;
      say("Starting " + columns.length + " columns…");
    }
    runButton.addEventListener("click", compare);
    stopButton.addEventListener("click", () => {
      if (going && options.send({ action: "stop" })) say("Stopping every column…");
    });

    function say(text) {
      status.textContent = text;
    }

    // --- Results -----------------------------------------------------------------------------
    function settingsText(request) {
      const shownKeys = ["temperature", "top_p", "max_tokens", "seed"];
      const parts = shownKeys.filter((key) => key in request).map((key) => key + " " + request[key]);
      return parts.length ? parts.join(" · ") : "the API's defaults";
    }

    function resultBox(column) {
      const box = resultTemplate.content.firstElementChild.cloneNode(true);
      box.querySelector(".result-title").textContent =
        "Column " + (column.column + 1) + ": " + column.provider + " · " + column.model;
      box.querySelector(".result-settings").textContent = settingsText(column.request || {});
      box.querySelector("[data-result-stop]").addEventListener("click", () => {
        if (options.send({ action: "stop", run: column.run })) {
          box.querySelector(".result-figures").textContent = "Stopping…";
        }
      });
      box.querySelector("[data-result-open]").addEventListener("click", () => {
        options.open(column.run + ":0");
      });
      return box;
    }

    function layout(columns) {
      shown = new Map();
      results.replaceChildren();
      results.style.setProperty("--columns", String(columns.length));
      for (const column of columns) {
        const box = resultBox(column);
        results.append(box);
        shown.set(column.run, { column: column.column, box, text: "", tokens: [], done: false });
      }
    }

    function started(frame) {
      pending = false;
      going = true;
      stopButton.disabled = false;
      runButton.disabled = true;
      layout(frame.columns);
      say("Streaming " + frame.columns.length + " columns.");
      options.onStart();
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

    function columnFinished(frame) {
      const entry = shown.get(frame.run);
      if (!entry) return;
      entry.done = true;
      const box = entry.box;
      box.dataset.status = frame.status;
      box.querySelector(".result-figures").textContent = figuresText(frame);
      box.querySelector("[data-result-stop]").hidden = true;
      box.querySelector("[data-result-open]").hidden = !entry.text;
      const error = box.querySelector(".result-error");
      error.textContent = frame.error || "";
      error.hidden = !frame.error;
    }

    function finished() {
      going = false;
      pending = false;
      runButton.disabled = false;
      stopButton.disabled = true;
      markDivergence();
      say("Done: " + shown.size + " columns.");
      options.onEnd();
    }

    function invalid(frame) {
      pending = false;
      runButton.disabled = false;
      const boxes = columnBoxes();
      const parts = [];
      for (const [index, errors] of Object.entries(frame.columns)) {
        const text = Object.entries(errors)
          .map(([name, list]) => (name === "__all__" ? "" : name + ": ") + list.join(" "))
          .join(" ");
        if (boxes[Number(index)]) boxes[Number(index)].querySelector(".column-error").textContent = text;
        parts.push("column " + (Number(index) + 1));
      }
      say("Nothing was sent: fix " + parts.join(", ") + ".");
    }

    function refused(text) {
      if (!pending) return false;
      pending = false;
      runButton.disabled = false;
      say(text);
      return true;
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
        if (entry.text === first.text) {
          note.textContent = "Same text as column 1.";
          continue;
        }
        let at = 0;
        let detail = "";
        if (entry.tokens.length && first.tokens.length) {
          let k = 0;
          while (k < entry.tokens.length && k < first.tokens.length &&
                 entry.tokens[k][0] === first.tokens[k][0]) {
            at += entry.tokens[k][0].length;
            k++;
          }
          const mine = entry.tokens[k];
          const theirs = first.tokens[k];
          detail = "Departs from column 1 at token " + (k + 1) + ": " +
            (mine ? "“" + mine[0] + "”" + (typeof mine[1] === "number" ? " (" + percent(mine[1]) + ")" : "") : "its end") +
            " where column 1 has " +
            (theirs ? "“" + theirs[0] + "”" + (typeof theirs[1] === "number" ? " (" + percent(theirs[1]) + ")" : "") : "its end") + ".";
        } else {
          while (at < entry.text.length && at < first.text.length && entry.text[at] === first.text[at]) at++;
          detail = "Departs from column 1 at character " + (at + 1) + ".";
        }
        note.textContent = detail;
        const mark = document.createElement("mark");
        mark.className = "diverges";
        mark.textContent = entry.text.slice(at);
        textBox.replaceChildren(document.createTextNode(entry.text.slice(0, at)), mark);
      }
    }

    // --- A stored comparison (the newest), shown as it ended ------------------------------------
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
      say("The last comparison, " + new Date(data.created_at).toLocaleString() + ".");
    }

    // --- Start -------------------------------------------------------------------------------
    const stored = JSON.parse(document.getElementById("comparison-data").textContent);
    if (stored && stored.columns.length >= MIN_COLUMNS) {
      for (const column of stored.columns) addColumn(column);
      showStored(stored);
    } else {
      const first = {};
      for (const name of FIELDS) first[name] = options.formValue(name);
      addColumn(first);
      addColumn(first);
    }

    return {
      started, owns, delta, tokens, columnFinished, finished, invalid, refused,
      focus() {
        panel.open = true;
        const firstField = columnsBox.querySelector("select, input");
        (firstField || runButton).focus();
      },
      running: () => going || pending,
    };
  }

  window.PlaygroundCompare = Compare;
})();
