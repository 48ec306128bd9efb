// The playground page: renders the socket's JSON frames; runs stream in through
// run_stream.js, which the share page uses too.
(function () {
  "use strict";

  const root = document.getElementById("playground");
  if (!root) return;
  const form = document.getElementById("completion-form");
  const runButton = document.getElementById("run-button");
  const stopButton = document.getElementById("stop-button");
  const socketState = document.getElementById("socket-state");
  const socketError = document.getElementById("socket-error");
  const runs = RunStream.runs((run) => "/runs/" + run + "/");
  const csrfHeaders = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
  const byId = (template) => (id) => template.replace("/0/", "/" + encodeURIComponent(id) + "/");
  const editor = PlaygroundEditor({
    urls: {
      document: byId(form.dataset.documentUrl),
      prune: byId(form.dataset.pruneUrl),
      unprune: byId(form.dataset.unpruneUrl),
      tree: form.dataset.treeUrl,
    },
    nodes: JSON.parse(document.getElementById("tree-nodes").textContent),
    pruned: JSON.parse(document.getElementById("pruned-branches-data").textContent),
    csrfHeaders,
    branch: (fields) => startRun(fields),
    explore: () => explore(),
  });
  // The comparison panel (compare.js): the same form and document, sent to its columns.
  const compare = PlaygroundCompare({
    send,
    message() {
      const fields = editor.runFields(null);
      return {
        ...formValues(),
        prompt: fields.prompt,
        suffix: fields.suffix,
        parent: fields.parent || "",
        looks: fields.looks,
      };
    },
    formValue: (name) => (form.elements[name] ? form.elements[name].value : ""),
    onStart: () => setRunning(true),
    onEnd() {
      setRunning(false);
      editor.refreshTree();
    },
    open: (id) => editor.open(id),
  });
  // Columns show the form's values as they change, where they follow the form.
  form.addEventListener("input", () => compare.followForm());

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
        // A field under the closed "Advanced" disclosure: opened, so its error shows.
        const disclosure = field.closest("details");
        if (disclosure) disclosure.open = true;
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

  let comparedRuns = []; // the columns' runs of the comparison going, if any
  const handlers = {
    "run.started"(frame) {
      runs.started(frame);
      editor.started(frame, pendingRun || editor.runFields(null));
      pendingRun = null;
      setRunning(true);
    },
    delta(frame) {
      if (compare.owns(frame.run)) return compare.delta(frame);
      runs.delta(frame);
      editor.delta(frame);
    },
    tokens(frame) {
      if (compare.owns(frame.run)) return compare.tokens(frame);
      editor.tokens(frame);
    },
    "compare.started"(frame) {
      comparedRuns = frame.columns.map((column) => column.run);
      compare.started(frame);
    },
    "column.finished": (frame) => compare.columnFinished(frame),
    "compare.finished"(frame) {
      compare.finished(frame);
      runs.columnsEnded(comparedRuns);
    },
    "compare.invalid": (frame) => compare.invalid(frame),
    "run.finished"(frame) {
      setRunning(false);
      // The database went away mid-run: the streamed text stays, and this says so.
      if (frame.saved === false) showSocketError(frame.error);
      runs.finished(frame);
      editor.finished(frame);
    },
    "form.invalid"(frame) {
      showFieldErrors(frame.errors);
      setRunning(false);
      pendingRun = null;
      editor.failed();
    },
    error(frame) {
      if (compare.refused(frame.error)) return;
      showSocketError(frame.error);
      if (pendingRun) {
        pendingRun = null;
        editor.failed();
        setRunning(false);
      }
    },
    "explore.result"(frame) {
      if (frame.request !== exploring.id) return;
      editor.explored(frame, exploring.at, exploring.prompt);
    },
    "explore.error"(frame) {
      if (frame.request !== exploring.id) return;
      editor.say(frame.error);
      showSocketError(frame.error);
    },
    "score.result"(frame) {
      if (frame.request !== scoring) return;
      editor.scored(frame);
      const summary = document.getElementById("score-summary");
      summary.textContent = frame.perplexity === null
        ? "No token of the prompt could be scored."
        : "Perplexity " + frame.perplexity.toFixed(2) + " over " + frame.scored +
          " scored tokens of the prompt (the first has no probability). Tinted by surprisal.";
    },
    "score.error"(frame) {
      if (frame.request !== scoring) return;
      document.getElementById("score-summary").textContent = frame.error;
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
  let pendingRun = null; // the editor's fields of the run asked for, until it starts
  let exploring = { id: null, at: 0 };
  let scoring = null;
  let requests = 0;

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
      send({ action: "live.start", session: liveControls.dataset.session });
    });
    document.getElementById("live-stop").addEventListener("click", () => {
      send({ action: "live.stop" });
    });
  }

  // --- The socket -------------------------------------------------------------------------
  // The ws extension connects, and reconnects after a drop (at the pace run_stream.js
  // sets). What this page adds:
  //
  // A hung server (stopped, or behind a link that died without a word) leaves the socket
  // open and silent, and the browser says nothing for minutes. So after 5 s without a
  // frame the page pings ({"action": "ping"}, answered by a pong), and a server that has
  // not answered in 10 s, or a socket still not open after 10 s, is given up for a new one.
  const PING_AFTER_MS = 5000;
  const PONG_WITHIN_MS = 10000;
  const OPEN_WITHIN_MS = 10000;

  // Every WebSocket the extension makes comes from here, so the page knows the newest one.
  // A socket given up on may still open, answer or close later (when a hung server
  // resumes): its events are stopped before the extension or this page sees them, so only
  // one socket ever speaks for the page.
  let socket = null; // the newest WebSocket
  let connection = null; // the extension's handle on it: send(), reconnect()
  let socketMadeAt = 0;
  let lastHeard = 0; // when the newest socket last brought a frame, or opened
  let pingSentAt = null; // when the ping still waiting for an answer was sent
  htmx.createWebSocket = (url) => {
    const made = new WebSocket(url, []);
    made.binaryType = htmx.config.wsBinaryType;
    for (const type of ["open", "message", "error", "close"]) {
      made.addEventListener(type, (event) => {
        if (made !== socket) event.stopImmediatePropagation();
      });
    }
    socket = made;
    socketMadeAt = Date.now();
    pingSentAt = null;
    return made;
  };

  function connected() {
    return socket !== null && socket.readyState === WebSocket.OPEN;
  }

  const NOT_CONNECTED =
    "Not connected to the server, so nothing was sent. Try again once the page says Connected.";

  // Sends a frame now, or says why not: nothing waits to go out later, when the user may
  // no longer want it (the extension would queue it and send it on reconnecting).
  function send(message) {
    if (!connected()) {
      showSocketError(NOT_CONNECTED);
      return false;
    }
    socket.send(JSON.stringify(message));
    return true;
  }

  function showDisconnected(text) {
    socketState.dataset.state = "closed";
    socketState.textContent = text;
    if (runs.current() !== null) {
      // The server stops a run whose socket closed; wsOpen shows what it stored.
      stopButton.disabled = true;
      runs.say("The connection dropped, which stops this run. Its saved text shows once the page reconnects.");
    }
    if (liveControls && liveControls.dataset.live === "true") {
      showLive(false, "The connection dropped, which ended the live demo. Go live again when it is back.");
    }
  }

  // A new socket in place of the newest one, which is closed and from then on unheard.
  function replaceSocket() {
    if (connection === null) return;
    const old = socket;
    connection.reconnect();
    if (old !== socket && old.readyState !== WebSocket.CLOSED) old.close();
  }

  setInterval(() => {
    if (socket === null) return;
    const now = Date.now();
    if (socket.readyState === WebSocket.CONNECTING && now - socketMadeAt > OPEN_WITHIN_MS) {
      replaceSocket();
    } else if (socket.readyState !== WebSocket.OPEN) {
      // Closed: the extension is already trying again.
    } else if (pingSentAt !== null && now - pingSentAt > PONG_WITHIN_MS) {
      showDisconnected("Not connected: the server does not answer. Reconnecting…");
      replaceSocket();
    } else if (pingSentAt === null && now - lastHeard > PING_AFTER_MS) {
      pingSentAt = now;
      socket.send(JSON.stringify({ action: "ping" }));
    }
  }, 1000);

  root.addEventListener("htmx:wsOpen", (event) => {
    connection = event.detail.socketWrapper;
    // Nothing is sent while disconnected (send() and wsConfigSend refuse), so this queue
    // is empty; emptied anyway, so that nothing from before can ever go out now.
    connection.queue.length = 0;
    lastHeard = Date.now();
    pingSentAt = null;
    socketState.dataset.state = "open";
    socketState.textContent = "Connected";
    if (socketError.textContent === NOT_CONNECTED) showSocketError("");
    if (runs.current() !== null) {
      // Reconnected mid-run: the server stopped that run; show what it stored, in its card
      // and in the document (its node, as stored).
      const run = runs.current();
      runs.showStored(run);
      setRunning(false);
      editor.finished({ run });
    }
    // Back: edits that could not be saved meanwhile go now, and the label follows.
    autosave.retryNow();
  });
  root.addEventListener("htmx:wsClose", (event) => {
    connection = event.detail.socketWrapper;
    showDisconnected("Disconnected: reconnecting…");
  });
  root.addEventListener("htmx:wsError", () => {
    socketState.dataset.state = "closed";
    socketState.textContent = "Connection error: reconnecting…";
  });
  // After the wsClose listener above: a socket closed for its login is not coming back.
  root.addEventListener("htmx:wsClose", () => {
    if (loginEnded) socketState.textContent = "Disconnected: reload the page.";
  });
  RunStream.listen(root, handlers, () => {
    lastHeard = Date.now();
    pingSentAt = null; // any frame shows the server is alive
  });
  // The form's fields as the ws extension would send them: a name posted more than once
  // (stop, the logit_bias rows) as a list.
  function formValues() {
    const values = {};
    for (const [name, value] of new FormData(form)) {
      if (name in values) values[name] = [].concat(values[name], value);
      else values[name] = value;
    }
    return values;
  }

  // A run from the editor: what it sends and where it grows in the tree (editor.js).
  function startRun(branch) {
    if (runButton.disabled) return;
    const fields = editor.runFields(branch || null);
    const message = {
      ...formValues(),
      action: "run",
      prompt: fields.prompt,
      suffix: fields.suffix,
      parent: fields.parent || "",
      branch_token: fields.branch_token || "",
      forced_text: fields.forced_text || "",
      looks: fields.looks,
    };
    clearFieldErrors();
    showSocketError("");
    if (!send(message)) return;
    pendingRun = fields;
    runButton.disabled = true;
    editor.prepare(fields);
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    startRun(null);
  });

  function submitRun() {
    startRun(null);
  }

  async function regenerate() {
    // Right after a reload, the node on show may still be on its way.
    await editor.ready();
    const fields = editor.regenerate();
    if (!fields) {
      editor.say("Nothing to regenerate yet: generate a completion first.");
      return;
    }
    startRun(fields);
  }

  // The next-token explorer: the distribution of the token after the cursor.
  function explore() {
    const { prompt, at } = editor.exploreFields();
    requests += 1;
    exploring = { id: "explore-" + requests, at, prompt };
    send({
      ...formValues(),
      action: "explore",
      request: exploring.id,
      prompt,
      logprobs: editor.capabilities.max_logprobs || 5,
    });
  }

  function score() {
    const reason = editor.capabilities.echo_logprobs === false
      ? "This model cannot score a prompt: the probe found it returns no log probabilities for the prompt's own tokens."
      : "";
    const summary = document.getElementById("score-summary");
    if (reason) {
      summary.textContent = reason;
      return;
    }
    requests += 1;
    scoring = "score-" + requests;
    summary.textContent = "Scoring the prompt…";
    send({ ...formValues(), action: "score", request: scoring, prompt: document.getElementById("id_prompt").value, suffix: "" });
  }

  document.getElementById("regenerate-button").addEventListener("click", regenerate);
  // Undo, too, needs the node on show, which may still be on its way right after a reload.
  const undo = () => editor.ready().then(() => editor.undo());
  document.getElementById("undo-button").addEventListener("click", undo);
  document.getElementById("redo-button").addEventListener("click", () => editor.redo());
  document.getElementById("explore-button").addEventListener("click", explore);
  document.getElementById("score-button").addEventListener("click", score);
  function stopRun() {
    if (stopButton.disabled || !send({ action: "stop" })) return;
    stopButton.disabled = true;
    runs.say("Stopping…");
  }
  stopButton.addEventListener("click", stopRun);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      submitRun();
    } else if (event.key === "Escape" && root.dataset.running === "true") {
      event.preventDefault();
      stopRun();
    } else if (event.key === "Escape" && editor.leaveExplorer()) {
      event.preventDefault();
    } else if (event.altKey && !event.ctrlKey && !event.metaKey) {
      const actions = {
        KeyR: regenerate,
        KeyZ: () => (event.shiftKey ? editor.redo() : undo()),
        KeyN: explore,
        KeyS: score,
        KeyT: () => editor.focusTree(),
        KeyC: () => compare.focus(),
        KeyU: () => editor.unprune(),
        // The alternatives of the token at the cursor (or the explorer's), to choose with Enter.
        KeyA: () => {
          const first = document.querySelector("#token-panel .alternative:not(:disabled)");
          if (first) first.focus();
        },
        KeyP: () => {
          const box = document.getElementById("id_show_probabilities");
          box.checked = !box.checked;
          box.dispatchEvent(new Event("change", { bubbles: true }));
        },
      };
      const action = actions[event.code];
      if (!action) return;
      event.preventDefault();
      action();
    }
  });

  // A new provider brings its default model, unless the user typed one.
  const providerSelect = document.getElementById("id_provider");
  const modelInput = document.getElementById("id_model");
  if (providerSelect) {
    providerSelect.addEventListener("change", () => {
      const option = providerSelect.selectedOptions[0];
      if (option && option.dataset.defaultModel) modelInput.value = option.dataset.defaultModel;
      loadCapabilities();
    });
    modelInput.addEventListener("change", loadCapabilities);
  }

  // What the provider honours for the model, as its probe measured (providers/probe.py):
  // the editor says before sending what will not work (insert mode, prompt scoring).
  const capabilitiesUrl = byId(form.dataset.capabilitiesUrl);
  let capabilitiesAsked = 0;
  async function loadCapabilities() {
    if (!providerSelect || !providerSelect.value) return;
    const asked = ++capabilitiesAsked;
    let found = {};
    try {
      const response = await fetch(
        capabilitiesUrl(providerSelect.value) + "?model=" + encodeURIComponent(modelInput.value),
        { credentials: "same-origin" },
      );
      if (response.ok) {
        const answer = await response.json();
        found = { ...answer.capabilities, evidence: answer.evidence };
      }
    } catch (e) {
      found = {};
    }
    if (asked === capabilitiesAsked) editor.setCapabilities(found);
  }
  loadCapabilities();

  // --- Autosave ----------------------------------------------------------------------------
  // The form is saved after each pause in typing, and at once on a change (a tick, a
  // select, a number field left). One save at a time: when its reply comes, the form is
  // compared with what that request carried and saved again if it changed meanwhile, so the
  // last state is what is stored, whatever the order and pace of the edits. A save that
  // failed is tried again, with a growing wait, and at once when the socket reconnects.
  // The label says "Saved" only when the stored state is the form's state.
  const autosave = (() => {
    const url = form.dataset.autosaveUrl;
    const TYPING_PAUSE_MS = 600;
    const RETRY_MAX_MS = 10000;
    const snapshot = () => new URLSearchParams(new FormData(form)).toString();

    let stored = snapshot(); // what the server holds, as far as this page knows
    let refused = null; // a state the server would not keep (the label says why)
    let sending = null; // the state on its way, if any
    let timer = null;
    let retryMs = 0;
    let stopped = false;

    function label(text, failed) {
      const state = document.getElementById("save-state");
      state.textContent = text;
      state.classList.toggle("failed", failed);
    }

    function saveIn(delay) {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        save();
      }, delay);
    }

    function edited(delay) {
      if (stopped) return;
      const state = snapshot();
      // A failure stays on screen until a save succeeds: it is still true meanwhile.
      const failing = document.getElementById("save-state").classList.contains("failed");
      if (state !== stored && state !== refused && !failing) label("Saving…", false);
      saveIn(delay);
    }

    function failed(text, retry) {
      label(text, true);
      if (!retry) return;
      retryMs = Math.min(RETRY_MAX_MS, Math.max(1000, retryMs * 2));
      if (timer === null) saveIn(retryMs);
    }

    async function save() {
      // One request at a time: the reply of the one on its way calls save() again.
      if (stopped || sending !== null) return;
      const state = snapshot();
      if (state === stored) {
        label("Saved", false);
        return;
      }
      if (state === refused) return;
      sending = state;
      let response = null;
      let html = null;
      try {
        response = await fetch(url, {
          method: "POST",
          body: new URLSearchParams(state),
          headers: csrfHeaders,
          credentials: "same-origin",
          // A login page in answer (logged out) must not count as saved.
          redirect: "manual",
        });
        if (response.ok) html = await response.text();
      } catch (e) {
        response = null;
      }
      sending = null;
      if (stopped) return;
      if (response === null || (response.ok && html === null)) {
        failed("Not saved: the server cannot be reached.", true);
      } else if (response.type === "opaqueredirect") {
        refused = state;
        failed("Not saved: you are logged out. Log in again, then edit to save.", false);
      } else if (response.status === 404) {
        refused = state;
        failed("Not saved: this session was deleted.", false);
      } else if (!response.ok) {
        const retry = response.status >= 500;
        if (!retry) refused = state;
        failed("Not saved: the server answered " + response.status + ".", retry);
      } else {
        // The server's label ("Saved", or why it would not keep this state), and the title
        // when it follows the prompt (swapped out of band).
        htmx.swap("#save-state", html, { swapStyle: "outerHTML" });
        if (document.getElementById("save-state").classList.contains("failed")) {
          refused = state;
        } else {
          stored = state;
        }
        retryMs = 0;
        // Edited while this request was on its way: that is not saved yet, so send it now
        // (or when the typing pause ends). After a failure, the retry sends it.
        const now = snapshot();
        if (now !== stored && now !== refused) {
          label("Saving…", false);
          if (timer === null) save();
        }
      }
    }

    form.addEventListener("input", () => edited(TYPING_PAUSE_MS));
    form.addEventListener("change", () => edited(0));
    // Leaving the page within a typing pause: the last keystrokes go out anyway, in a
    // request the browser finishes after the page is gone (keepalive, up to 64 KB).
    window.addEventListener("pagehide", () => {
      const state = snapshot();
      if (stopped || state === stored || state === refused || state === sending) return;
      fetch(url, {
        method: "POST",
        body: new URLSearchParams(state),
        headers: csrfHeaders,
        credentials: "same-origin",
        keepalive: true,
      }).catch(() => {});
    });
    window.addEventListener("online", () => retryNow());

    function retryNow() {
      retryMs = 0;
      if (!stopped && snapshot() !== stored) saveIn(0);
    }

    return {
      retryNow,
      // Restore puts a run's form back on the server and reloads the page: what the form
      // holds now must not be saved over it.
      stop() {
        stopped = true;
        clearTimeout(timer);
      },
    };
  })();
  document.body.addEventListener("htmx:beforeRequest", (event) => {
    if (event.detail.elt.hasAttribute("data-replaces-form")) autosave.stop();
  });

  // --- Sliders -------------------------------------------------------------------------------
  // A number parameter's slider (SliderNumberInput) and its number input show one value.
  // The number is the field: the slider has no name, so the form posts, and autosave
  // stores, exactly what the number says. A blank number (unset: the API's default) puts
  // the slider back on its resting place, greyed (data-unset) until it is moved. These run
  // while the event is captured, before autosave's listeners read the form.
  function sliderOf(number) {
    return number.id ? form.querySelector('[data-slider-for="' + CSS.escape(number.id) + '"]') : null;
  }
  function showUnset(slider, unset) {
    slider.toggleAttribute("data-unset", unset);
    if (unset) {
      slider.value = slider.dataset.rest;
      slider.setAttribute("aria-valuetext", "not set: the API's default");
    } else {
      slider.removeAttribute("aria-valuetext");
    }
  }
  form.addEventListener("input", (event) => {
    const target = event.target;
    if (target.matches("[data-slider-for]")) {
      document.getElementById(target.dataset.sliderFor).value = target.value;
      showUnset(target, false);
      return;
    }
    const slider = target.matches('input[type="number"]') ? sliderOf(target) : null;
    if (!slider) return;
    // An unparsable or blank number reads as ""; the slider shows the value if there is one.
    const unset = target.value === "";
    showUnset(slider, unset);
    if (!unset) slider.value = target.value;
  }, true);

  // The number is the truth, also when the browser put back values of its own on a reload.
  form.querySelectorAll("[data-slider-for]").forEach((slider) => {
    const number = document.getElementById(slider.dataset.sliderFor);
    showUnset(slider, number.value === "");
    if (number.value !== "") slider.value = number.value;
  });

  // "+ row" in the logit_bias table.
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-add-row]");
    if (!button) return;
    const body = document.getElementById(button.dataset.addRow).querySelector("tbody");
    const row = body.lastElementChild.cloneNode(true);
    row.querySelectorAll("input").forEach((input) => { input.value = ""; });
    body.append(row);
  });

  // A run card's "Open in the editor": that choice's node in the document, as the tree shows
  // it (the node's prompt and the choice's completion), to go on from or branch from.
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-open-choice]");
    if (!button) return;
    const run = button.closest(".run-card").dataset.run;
    editor.open(run + ":" + button.closest(".choice").dataset.index);
  });

})();
