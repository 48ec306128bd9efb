// The share page: follows a live demo. Everything from the socket is shown with
// textContent, or as server-rendered (escaped) run cards.
(function () {
  "use strict";

  const root = document.getElementById("watch");
  if (!root) return;
  const liveState = document.getElementById("live-state");
  const liveRun = document.getElementById("live-run");
  const history = document.getElementById("run-history");
  const promptBox = document.getElementById("shared-prompt");
  const parameters = document.getElementById("shared-parameters");
  const template = document.getElementById("live-run-template");
  const accessEnded = document.getElementById("access-ended");
  // The server's close code for a socket whose access ended (accounts/sockets.py).
  const ACCESS_REVOKED = 4403;
  let currentRun = null;
  let retry = 0;
  let ended = false;

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
    // A run it was following stops here: no "Streaming" card left behind.
    currentRun = null;
    const streaming = liveRun.querySelector(".run-card.live");
    if (streaming) streaming.remove();
    accessEnded.textContent = text || root.dataset.accessEnded;
    accessEnded.hidden = false;
  }

  function showState(frame) {
    document.getElementById("shared-title").textContent = frame.title;
    promptBox.textContent = frame.prompt;
    const rows = [["provider", frame.provider || "—"], ["model", frame.model || "—"]];
    for (const [name, value] of Object.entries(frame.parameters)) {
      rows.push([name, Array.isArray(value) ? value.join(", ") : value]);
    }
    parameters.replaceChildren(
      ...rows.flatMap(([name, value]) => {
        const dt = document.createElement("dt");
        dt.textContent = name;
        const dd = document.createElement("dd");
        dd.textContent = value;
        return [dt, dd];
      }),
    );
  }

  function archive() {
    const card = liveRun.querySelector(".run-card:not(.live)");
    if (card) history.prepend(card);
    const empty = document.getElementById("no-runs");
    if (empty) empty.remove();
    liveRun.replaceChildren();
  }

  function paneFor(index) {
    const card = liveRun.querySelector(".run-card.live");
    let pane = card.querySelector('[data-index="' + index + '"]');
    if (!pane) {
      pane = document.createElement("div");
      pane.className = "choice streaming";
      pane.dataset.index = index;
      const text = document.createElement("pre");
      text.className = "choice-text";
      pane.append(text);
      card.querySelector(".choices").append(pane);
    }
    return pane.querySelector(".choice-text");
  }

  const handlers = {
    "live.state"(frame) {
      showState(frame);
      if (frame.available === false) setLive(false, "Live mode is unavailable right now.");
      else setLive(frame.live, frame.live ? "Live now" : "");
    },
    "run.started"(frame) {
      archive();
      currentRun = frame.run;
      const card = template.content.firstElementChild.cloneNode(true);
      card.querySelector(".model").textContent = frame.request.model;
      liveRun.append(card);
    },
    delta(frame) {
      if (frame.run !== currentRun) return;
      for (const [index, text] of Object.entries(frame.choices)) {
        paneFor(index).append(document.createTextNode(text));
      }
    },
    "run.finished"(frame) {
      currentRun = null;
      if (frame.html === null) {
        // A card too large for one socket message: the streamed text stays, and the page
        // shows the card once reloaded.
        const note = document.createElement("p");
        note.className = "notice";
        note.textContent = "This run has ended. Reload the page to see all of it.";
        liveRun.append(note);
        return;
      }
      liveRun.replaceChildren();
      liveRun.insertAdjacentHTML("afterbegin", frame.html);
    },
    "live.ended"() {
      setLive(false, "The live demo has ended.");
    },
    "access.revoked"(frame) {
      endAccess(frame.error);
    },
  };

  function reconnectLater() {
    retry = Math.min(retry + 1, 6);
    setTimeout(connect, 500 * 2 ** retry);
  }

  // A socket refused at its handshake looks like a server that is away. The share page
  // itself tells them apart: 404 or a redirect to log in means this viewer may no longer
  // open it; anything else (no answer, a 5xx) is worth another try.
  function checkAccessThenReconnect() {
    fetch(location.pathname, { cache: "no-store", redirect: "manual", credentials: "same-origin" })
      .then((response) => {
        if (response.status === 404 || response.type === "opaqueredirect") endAccess("");
        else reconnectLater();
      }, reconnectLater);
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + root.dataset.watchPath);
    let opened = false;
    socket.addEventListener("open", () => { opened = true; retry = 0; root.dataset.socket = "open"; });
    socket.addEventListener("message", (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      const handler = handlers[frame.type];
      if (handler) handler(frame);
    });
    socket.addEventListener("close", (event) => {
      root.dataset.socket = "closed";
      if (event.code === ACCESS_REVOKED && !ended) endAccess("");
      if (ended) return;
      if (opened) reconnectLater();
      else checkAccessThenReconnect();
    });
  }
  connect();
})();
