// The editor's Variables panel: a value box for each {{name}} in the document.
//
// The syntax is playground/completions/variables.py's (the one home; this pattern copies
// it to find the names as the user types): {{name}} with name [A-Za-z_][A-Za-z0-9_]*,
// spaces or tabs inside the braces allowed, {{{{ a literal {{. The server fills the values
// in when a run is sent; the page only keeps them in the form's hidden "variables" field
// (a JSON object of name -> value), which runs and autosave post with the rest.
(() => {
  "use strict";

  const TOKEN = /(\{\{\{\{)|\{\{[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*\}\}/g;

  function names(text) {
    const found = [];
    for (const match of text.matchAll(TOKEN)) {
      if (match[2] && !found.includes(match[2])) found.push(match[2]);
    }
    return found;
  }

  function parse(text) {
    try {
      const values = JSON.parse(text || "{}");
      return values && typeof values === "object" && !Array.isArray(values) ? values : {};
    } catch {
      return {};
    }
  }

  const panel = document.getElementById("variables-panel");
  const editorText = document.getElementById("id_prompt");
  const field = document.getElementById("id_variables");
  if (!panel || !editorText || !field) return;
  const list = document.getElementById("variable-list");
  const form = field.form;

  // Every value typed on this page, kept while its variable is gone from the text (an
  // edit that cuts {{city}} and pastes it back finds its value again). Only the values of
  // the text's variables are posted.
  const values = parse(field.value);
  let shownText = null;
  let shownNames = [];

  function write() {
    const posted = {};
    for (const name of shownNames) posted[name] = values[name] || "";
    const text = shownNames.length ? JSON.stringify(posted) : "";
    if (field.value === text) return;
    field.value = text;
    // Autosave (playground.js) saves on the form's input events.
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function box(name) {
    const row = document.createElement("div");
    row.className = "field variable";
    const label = document.createElement("label");
    label.htmlFor = `variable-${name}`;
    label.textContent = name;
    const input = document.createElement("textarea");
    input.id = `variable-${name}`;
    input.rows = 1;
    input.dataset.variable = name;
    input.value = values[name] || "";
    input.addEventListener("input", () => {
      values[name] = input.value;
      write();
    });
    row.append(label, input);
    return row;
  }

  function render(initial) {
    const text = editorText.value;
    if (text === shownText) return;
    shownText = text;
    const found = names(text);
    if (found.join("\n") === shownNames.join("\n")) return;
    shownNames = found;
    const boxes = new Map(
      [...list.querySelectorAll("[data-variable]")].map((input) => [input.dataset.variable, input.closest(".variable")]),
    );
    list.replaceChildren(...found.map((name) => boxes.get(name) || box(name)));
    panel.hidden = found.length === 0;
    // On load the field is as saved: writing it would look like an edit to autosave.
    if (!initial) write();
  }

  // The editor sets the text itself (a run taken in, undo), then sends an input event on
  // the form (editor.js changed()); typing sends one too. Scanned once per frame at most.
  let pending = false;
  form.addEventListener("input", (event) => {
    if (event.target === field || pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      render(false);
    });
  });
  render(true);
})();
