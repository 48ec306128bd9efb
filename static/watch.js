// The share page: follows a live demo over the watch socket, which htmx's ws extension
// keeps (ws-connect on #watch), as on the playground. The session's title, prompt and
// parameters come rendered by the server (live.state's html); runs stream in through
// run_stream.js. Nothing from the socket goes into the page but through textContent or as
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
    runs.drop();
    accessEnded.textContent = text || root.dataset.accessEnded;
    accessEnded.hidden = false;
  }

  const handlers = {
    "live.state"(frame) {
      // Each piece of sharing/live_state.html in its place, by id (out of band).
      if (frame.html !== null) htmx.swap(root, frame.html, { swapStyle: "none" });
      // Too large to come with the frame (sockets/outgoing.py): a reload shows it.
      stateTooLarge.hidden = frame.html !== null;
      if (frame.available === false) setLive(false, "Live mode is unavailable right now.");
      else setLive(frame.live, frame.live ? "Live now" : "");
    },
    "run.started": runs.started,
    delta: runs.delta,
    "run.finished"(frame) {
      // The database went away at the end of the run: the streamed text is what there is.
      if (frame.saved === false) runs.say(frame.error);
      runs.finished(frame);
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
