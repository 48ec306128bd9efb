// The session page's comparison (templates/sessions/compare_panel.html): columns of settings,
// one prompt sent to all of them over the page's socket, their completions streaming side
// by side, each with its figures and where it departs from the first column.
// Model output goes into the page through textContent only.
(function () {
  "use strict";

  const MIN_COLUMNS = 2;
  const MAX_COLUMNS = 6;
  const FIELDS = ["provider", "model", "temperature", "top_p", "max_tokens", "seed"];

  // options: send(message) → bool, message() → the form's fields with the document as
  // prompt (the run message without its action), formValue(name), onStart(), onEnd(),
  // open(nodeId): shows a node in the editor.
  //
  // A column's field follows the form's (it has data-follows-form) until it is changed in
  // the column: columns start from the form as it is when Compare is pressed, not as the page
  // loaded it. The columns of a comparison shown from the session keep their own settings.
  function Compare(options) {
    const panel = document.getElementById("compare-panel");
    const columnsBox = document.getElementById("compare-columns");
    const results = document.getElementById("compare-results");
    const status = document.getElementById("compare-status");
    const addButton = document.getElementById("compare-add");
    const runButton = document.getElementById("compare-run");
    const stopButton = document.getElementById("compare-stop");
    const columnTemplate = document.getElementById("compare-column-template");
    const providerOptions = document.getElementById("id_provider");

    let pending = false;
    let going = false;

    // --- Columns of settings -----------------------------------------------------------------
    function columnBoxes() {
      return [...columnsBox.querySelectorAll(".compare-column")];
    }

    function field(box, name) {
      return box.querySelector('[data-column-field="' + name + '"]');
    }

    // following: the names of the fields that follow the form's.
    function addColumn(values, following) {
      if (columnBoxes().length >= MAX_COLUMNS) return null;
      const box = columnTemplate.content.firstElementChild.cloneNode(true);
      const select = box.querySelector('[data-column-field="provider"]');
      for (const option of providerOptions.options) {
        select.append(new Option(option.textContent.trim(), option.value));
      }
      for (const name of FIELDS) {
        const input = field(box, name);
        input.value = values[name] === undefined || values[name] === null ? "" : values[name];
        input.toggleAttribute("data-follows-form", following.includes(name));
      }
      columnsBox.append(box);
      renumber();
      return box;
    }

    function valuesOf(box) {
      const values = {};
      for (const name of FIELDS) values[name] = field(box, name).value;
      return values;
    }

    function following(box) {
      return FIELDS.filter((name) => field(box, name).hasAttribute("data-follows-form"));
    }

    function followForm() {
      for (const box of columnBoxes()) {
        for (const name of following(box)) field(box, name).value = options.formValue(name);
      }
    }

    function renumber() {
      const boxes = columnBoxes();
      boxes.forEach((box, i) => {
        box.querySelector(".column-number").textContent = String(i + 1);
        for (const name of FIELDS) field(box, name).setAttribute("aria-label", "Column " + (i + 1) + " " + name);
        box.querySelector("[data-column-remove]").disabled = boxes.length <= MIN_COLUMNS;
        box.querySelector("[data-column-duplicate]").disabled = boxes.length >= MAX_COLUMNS;
      });
      addButton.disabled = boxes.length >= MAX_COLUMNS;
    }

    columnsBox.addEventListener("click", (event) => {
      const box = event.target.closest(".compare-column");
      if (!box) return;
      if (event.target.closest("[data-column-duplicate]")) {
        const copy = addColumn(valuesOf(box), following(box));
        if (copy) box.after(copy);
        renumber();
      } else if (event.target.closest("[data-column-remove]") && columnBoxes().length > MIN_COLUMNS) {
        box.remove();
        renumber();
      }
    });
    addButton.addEventListener("click", () => {
      const boxes = columnBoxes();
      const last = boxes[boxes.length - 1];
      addColumn(valuesOf(last), following(last));
    });
    columnsBox.addEventListener("input", (event) => event.target.removeAttribute("data-follows-form"));
    // As in the form, a column's new provider brings its default model, which the column
    // then keeps: the form's model may be one this provider does not serve.
    columnsBox.addEventListener("change", (event) => {
      if (event.target.dataset.columnField !== "provider") return;
      const option = [...providerOptions.options].find((o) => o.value === event.target.value);
      const model = field(event.target.closest(".compare-column"), "model");
      if (option && option.dataset.defaultModel) {
        model.value = option.dataset.defaultModel;
        model.removeAttribute("data-follows-form");
      }
    });
    panel.addEventListener("toggle", () => { if (panel.open) followForm(); });

    // --- Sending -----------------------------------------------------------------------------
    function compare() {
      if (going || pending) return;
      columnBoxes().forEach((box) => { box.querySelector(".column-error").textContent = ""; });
      // The form may have changed without an input event (Restore fills it in, say).
      followForm();
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

    // --- Results (compare_results.js) --------------------------------------------------------
    const shown = CompareResults(results, {
      stop: (run) => options.send({ action: "stop", run }),
      open: (run) => options.open(run + ":0"),
    });

    function started(frame) {
      pending = false;
      going = true;
      stopButton.disabled = false;
      runButton.disabled = true;
      shown.layout(frame.columns);
      listComparison(frame);
      say("Streaming " + frame.columns.length + " columns.");
      options.onStart();
    }

    function finished() {
      going = false;
      pending = false;
      runButton.disabled = false;
      stopButton.disabled = true;
      shown.markDivergence();
      say("Done: " + shown.summary());
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

    // A comparison of the session, chosen from the list: its columns' settings and its results.
    function showComparison(data) {
      columnBoxes().forEach((box) => box.remove());
      for (const column of data.columns) addColumn(column, []);
      shown.showStored(data);
      say("The comparison of " + shownTime(data.created_at) + " UTC.");
    }
    const history = document.getElementById("compare-history");
    history.addEventListener("change", async () => {
      if (going || pending) return say("Wait for the comparison going to end.");
      const url = history.dataset.url.replace("/0/", "/" + encodeURIComponent(history.value) + "/");
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) return say("That comparison could not be loaded (the server answered " + response.status + ").");
      showComparison(await response.json());
    });

    // A comparison's time as the list shows it: the server's ISO time (in UTC) to the second.
    function shownTime(iso) {
      return iso.slice(0, 19).replace("T", " ");
    }

    // A comparison started here goes first in the list, as the server lists it after a reload
    // (its time in UTC, then each column's model); the list shows once it has two.
    function listComparison(frame) {
      const option = document.createElement("option");
      option.value = String(frame.comparison);
      option.textContent = shownTime(frame.created_at) + ": " +
        frame.columns.map((column) => column.model).join(", ");
      history.prepend(option);
      history.value = option.value;
      history.closest(".compare-history").hidden = history.options.length < 2;
    }

    // --- Start -------------------------------------------------------------------------------
    const stored = JSON.parse(document.getElementById("comparison-data").textContent);
    if (stored && stored.columns.length >= MIN_COLUMNS) {
      showComparison(stored);
    } else {
      const first = {};
      for (const name of FIELDS) first[name] = options.formValue(name);
      addColumn(first, FIELDS);
      addColumn(first, FIELDS);
    }

    return {
      started, finished, invalid, refused,
      owns: shown.owns, delta: shown.delta, tokens: shown.tokens,
      columnFinished: shown.columnFinished,
      followForm,
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
