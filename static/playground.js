// The playground page: renders the socket's JSON frames. Model output only ever goes into
// the page through textContent; finished runs arrive as server-rendered, escaped HTML.
(function () {
  "use strict";

  const root = document.getElementById("playground");
  if (!root) return;
  const form = document.getElementById("completion-form");
  const runButton = document.getElementById("run-button");
  const stopButton = document.getElementById("stop-button");
  const liveRun = document.getElementById("live-run");
  const history = document.getElementById("run-history");
  const socketState = document.getElementById("socket-state");
  const socketError = document.getElementById("socket-error");
  const paneTemplate = document.getElementById("choice-pane-template");
  const liveTemplate = document.getElementById("live-run-template");

  let socket = null;
  let currentRun = null; // the id of the run streaming now, if any
  let panes = new Map();
  let showChoiceHeadings = false; // only when the run asked for more than one choice

  function setRunning(running) {
    runButton.disabled = running;
    stopButton.disabled = !running;
    root.dataset.running = running ? "true" : "false";
  }

  function showSocketError(text) {
    socketError.textContent = text;
    socketError.hidden = !text;
  }

  function clearFieldErrors() {
    form.querySelectorAll(".field-error").forEach((el) => { el.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    form.querySelectorAll(".field.has-error").forEach((el) => el.classList.remove("has-error"));
  }

  function showFieldErrors(errors) {
    let first = null;
    const general = document.getElementById("error-__all__");
    for (const [name, messages] of Object.entries(errors)) {
      const slot = document.getElementById("error-" + name);
      if (slot) {
        slot.textContent = messages.join(" ");
      } else {
        // An error for a field the page has no slot for: it goes with the general ones.
        general.textContent = [general.textContent, ...messages].filter(Boolean).join(" ");
      }
      const field = form.querySelector('[data-field="' + CSS.escape(name) + '"]');
      if (field) {
        field.classList.add("has-error");
        field.querySelectorAll("input, textarea, select").forEach((el) => el.setAttribute("aria-invalid", "true"));
        first = first || field;
      }
    }
    if (first) first.scrollIntoView({ block: "nearest" });
  }

  // A person fixing a field sees its error go away.
  form.addEventListener("input", (event) => {
    const field = event.target.closest(".field.has-error");
    if (!field) return;
    field.classList.remove("has-error");
    field.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    const slot = document.getElementById("error-" + field.dataset.field);
    if (slot) slot.textContent = "";
  });

  function archiveLiveRun() {
    // The finished card of the previous run moves to the top of the history.
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

  // The stored run's card, from the server, in place of the streaming pane.
  function showStoredRun(runId) {
    panes = new Map();
    htmx.ajax("GET", "/runs/" + runId + "/", { target: "#live-run", swap: "innerHTML" });
  }

  const handlers = {
    "run.started"(frame) {
      archiveLiveRun();
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
      setRunning(true);
    },
    delta(frame) {
      if (frame.run !== currentRun) return;
      for (const [index, text] of Object.entries(frame.choices)) {
        paneFor(Number(index)).append(document.createTextNode(text));
      }
    },
    "run.finished"(frame) {
      if (frame.run === currentRun) currentRun = null;
      setRunning(false);
      if (frame.saved === false) {
        // The database went away mid-run: keep the streamed text and say so.
        showSocketError(frame.error);
        return;
      }
      if (frame.html === null) {
        // A card too large for one socket message: fetched instead (README, the protocol).
        showStoredRun(frame.run);
        return;
      }
      liveRun.replaceChildren();
      panes = new Map();
      // Server-rendered by the template engine, which escapes all model output.
      liveRun.insertAdjacentHTML("afterbegin", frame.html);
      htmx.process(liveRun.firstElementChild);
    },
    "form.invalid"(frame) {
      showFieldErrors(frame.errors);
      setRunning(false);
    },
    error(frame) {
      showSocketError(frame.error);
    },
    "live.started"(frame) {
      showLive(true, "Live: viewers of the share page see your prompt and runs.");
      showViewers(frame.viewers);
    },
    "live.viewers"(frame) {
      showViewers(frame.count);
    },
    "live.ended"() {
      showLive(false, "The live demo has ended; its runs stay on the share page.");
    },
    "access.revoked"(frame) {
      // The server then closes the socket for good (code 4403, which htmx's ws extension
      // does not reconnect after): the page says why and what to do.
      loginEnded = true;
      showSocketError(frame.error);
    },
  };
  let loginEnded = false;

  // Presenter mode's live-demo controls.
  const liveControls = document.getElementById("live-controls");
  function showLive(live, text) {
    if (!liveControls) return;
    liveControls.dataset.live = live ? "true" : "false";
    document.getElementById("live-start").hidden = live;
    document.getElementById("live-stop").hidden = !live;
    document.getElementById("live-status").textContent = text;
    document.getElementById("live-viewers").hidden = !live;
  }
  function showViewers(count) {
    if (!liveControls) return;
    document.getElementById("live-viewers").textContent =
      count + (count === 1 ? " viewer watching" : " viewers watching");
  }
  if (liveControls) {
    document.getElementById("live-start").addEventListener("click", () => {
      if (socket) socket.send(JSON.stringify({ action: "live.start", session: liveControls.dataset.session }));
    });
    document.getElementById("live-stop").addEventListener("click", () => {
      if (socket) socket.send(JSON.stringify({ action: "live.stop" }));
    });
  }

  root.addEventListener("htmx:wsOpen", (event) => {
    socket = event.detail.socketWrapper;
    socketState.dataset.state = "open";
    socketState.textContent = "Connected";
    if (currentRun !== null) {
      // Reconnected mid-run: the server stopped that run; show what it stored.
      const runId = currentRun;
      currentRun = null;
      showStoredRun(runId);
      setRunning(false);
    }
  });
  root.addEventListener("htmx:wsClose", () => {
    socketState.dataset.state = "closed";
    socketState.textContent = "Disconnected: reconnecting…";
    if (currentRun !== null) {
      // The server stops a run whose socket closed; wsOpen shows what it stored.
      stopButton.disabled = true;
      const status = liveRun.querySelector(".live-status");
      if (status) {
        status.textContent = "The connection dropped, which stops this run. Its saved text shows once the page reconnects.";
      }
    }
    if (liveControls && liveControls.dataset.live === "true") {
      showLive(false, "The connection dropped, which ended the live demo. Go live again when it is back.");
    }
  });
  root.addEventListener("htmx:wsError", () => {
    socketState.dataset.state = "closed";
    socketState.textContent = "Connection error: reconnecting…";
  });
  // After the wsClose listener above: a socket closed for its login is not coming back.
  root.addEventListener("htmx:wsClose", () => {
    if (loginEnded) socketState.textContent = "Disconnected: reload the page.";
  });
  root.addEventListener("htmx:wsBeforeMessage", (event) => {
    event.preventDefault(); // frames are JSON, handled here rather than swapped by htmx
    let frame;
    try {
      frame = JSON.parse(event.detail.message);
    } catch (e) {
      return;
    }
    const handler = handlers[frame.type];
    if (handler) handler(frame);
  });
  root.addEventListener("htmx:wsConfigSend", (event) => {
    if (event.detail.parameters.action === "run") {
      clearFieldErrors();
      showSocketError("");
    }
  });

  function submitRun() {
    if (!runButton.disabled) form.requestSubmit();
  }
  function stopRun() {
    if (!socket || stopButton.disabled) return;
    socket.send(JSON.stringify({ action: "stop" }));
    stopButton.disabled = true;
    const status = liveRun.querySelector(".live-status");
    if (status) status.textContent = "Stopping…";
  }
  stopButton.addEventListener("click", stopRun);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      submitRun();
    } else if (event.key === "Escape" && root.dataset.running === "true") {
      event.preventDefault();
      stopRun();
    }
  });

  // A new provider brings its default model, unless the user typed one.
  const providerSelect = document.getElementById("id_provider");
  const modelInput = document.getElementById("id_model");
  if (providerSelect) {
    providerSelect.addEventListener("change", () => {
      const option = providerSelect.selectedOptions[0];
      if (option && option.dataset.defaultModel) modelInput.value = option.dataset.defaultModel;
    });
  }

  // htmx swaps nothing in on an error, which would leave "Saved" on screen after a failed save.
  function showSaveFailed(event) {
    const state = event.detail.elt;
    if (state.id !== "save-state") return;
    const status = event.detail.xhr ? event.detail.xhr.status : 0;
    state.classList.add("failed");
    state.textContent = status === 404
      ? "Not saved: this session was deleted."
      : status
        ? "Not saved: the server answered " + status + "."
        : "Not saved: the server cannot be reached.";
  }
  root.addEventListener("htmx:responseError", showSaveFailed);
  root.addEventListener("htmx:sendError", showSaveFailed);

  // "+ row" in the logit_bias table.
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-add-row]");
    if (!button) return;
    const body = document.getElementById(button.dataset.addRow).querySelector("tbody");
    const row = body.lastElementChild.cloneNode(true);
    row.querySelectorAll("input").forEach((input) => { input.value = ""; });
    body.append(row);
  });

  // "Insert into prompt": the choice's completion (not its echoed prompt) goes after the
  // prompt, so the user can keep writing from there.
  const promptInput = document.getElementById("id_prompt");
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-insert-choice]");
    if (!button) return;
    const text = [...button.closest(".choice").querySelectorAll(".choice-text > span:not(.echo)")]
      .map((span) => span.textContent)
      .join("");
    promptInput.value += text;
    promptInput.dispatchEvent(new Event("input", { bubbles: true }));
    promptInput.focus();
    promptInput.setSelectionRange(promptInput.value.length, promptInput.value.length);
  });

})();
