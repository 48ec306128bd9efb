"""The playground socket: validates run requests, starts and stops runs, relays their frames.

Client → server: {"action": "run", ...form fields...} or {"action": "stop"}.
Server → client: run.started, delta, run.finished, form.invalid and error frames (README).
"""

import asyncio
import contextlib
import functools
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db import DatabaseError
from django.template.loader import render_to_string

from playground.dispatch import LeanDispatch
from playground.ids import parse_id
from playground.sessions.models import PlaygroundSession
from playground.sharing.live import (
    LIVE_UNAVAILABLE_MESSAGE,
    LiveUnavailable,
    ViewerRelay,
    end_live,
    presenter_group,
    public_state,
    send_to_viewers,
    start_live,
)

from .accumulator import CompletionAccumulator
from .execution import NOT_SAVED, RunExecution
from .frames import RefusedFrame, read_message
from .launch import launch_run
from .models import Run
from .outgoing import MAX_FRAME_BYTES, fit
from .request_body import expected_choice_count

logger = logging.getLogger(__name__)

DATABASE_DOWN = (
    "The database cannot be reached right now, so the run was not started. Try again in a moment."
)

# A run's task gets this long to save its final state after a stop or disconnect.
SHUTDOWN_GRACE_SECONDS = 5

# What the card of a run says when its page closed or lost its connection mid-run.
SOCKET_CLOSED = (
    "The page's connection closed during this run, so the run stopped there; "
    "the text received until then is kept."
)


def render_run(run: Run, read_only: bool = False) -> str:
    return render_to_string("runs/playground.html#run-card", {"run": run, "read_only": read_only})


def _render_cards(
    run: Run, output: CompletionAccumulator, for_viewers: bool
) -> tuple[str | None, str | None]:
    """The run's card for its page and, when it is presented live, for the viewers.

    None for a card too large for one frame, whose text and raw response alone are: the page
    fetches it instead (outgoing.py), and rendering it only to drop it made long runs end
    later (by 50 to 100 ms at 20,000 tokens in `make bench`, figure 8).
    """
    if output.whole_size > MAX_FRAME_BYTES:
        return None, None
    return render_run(run), render_run(run, read_only=True) if for_viewers else None


@database_sync_to_async
def _owned_session(user, session_id):
    pk = parse_id(session_id)
    if pk is None:
        return None
    return PlaygroundSession.objects.owned_by(user).select_related("provider").filter(pk=pk).first()


class PlaygroundConsumer(LeanDispatch, AsyncJsonWebsocketConsumer):
    # A run's message goes straight to its handler: on the way to the first token.
    messages_without_database = frozenset({"websocket.receive", "live.viewers"})

    run_task: asyncio.Task | None = None
    execution: RunExecution | None = None
    # The session this socket presents live, if any: its runs are relayed to viewers.
    presenting: int | None = None
    viewer_relay: ViewerRelay | None = None

    async def connect(self):
        if not self.scope["user"].is_authenticated:
            await self.close()
            return
        await self.accept()

    async def disconnect(self, code):
        # Closing the tab stops the run: cancelling closes the upstream connection.
        await self._stop_run_task()
        # A presenter who leaves ends the demo; the runs stay on the share page.
        await self._end_live()

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        try:
            message = read_message(text_data, bytes_data)
        except RefusedFrame as exc:
            await self.send_frame({"type": "error", "error": str(exc)})
            return
        await self.receive_json(message)

    async def receive_json(self, content, **kwargs):
        handlers = {
            "run": self.handle_run,
            "stop": self.handle_stop,
            "live.start": self.handle_live_start,
            "live.stop": self.handle_live_stop,
        }
        action = content.get("action")
        handler = handlers.get(action) if isinstance(action, str) else None
        if handler is None:
            await self.send_frame(
                {
                    "type": "error",
                    "error": "Unknown action: send 'run', 'stop', 'live.start' or 'live.stop'.",
                }
            )
            return
        await handler(content)

    async def handle_run(self, content):
        if self.run_task and not self.run_task.done():
            await self.send_frame(
                {"type": "error", "error": "A run is already in progress: stop it first."}
            )
            return
        try:
            launch = await database_sync_to_async(launch_run)(self.scope["user"], content)
        except DatabaseError:
            # PostgreSQL restarting, say: the socket stays, and the next run may work.
            logger.warning("Could not start a run", exc_info=True)
            await self.send_frame({"type": "error", "error": DATABASE_DOWN})
            return
        if launch.error:
            await self.send_frame({"type": "error", "error": launch.error})
            return
        if launch.run is None:
            await self.send_frame({"type": "form.invalid", "errors": launch.form.errors})
            return
        run = launch.run
        relay = self.send_frame
        if self.presenting == run.session_id:
            relay = self.send_frame_and_relay
        await relay(
            {
                "type": "run.started",
                "run": run.pk,
                "session": run.session_id,
                "expected_choices": expected_choice_count(run.request_body),
                "request": run.request_body,
            }
        )
        for_viewers = relay != self.send_frame
        self.execution = RunExecution(run, launch.form.cleaned_data["provider"], relay)
        # Rendered right after the final save, in the same trip to the database thread.
        self.execution.after_save = functools.partial(
            _render_cards, output=self.execution.accumulator, for_viewers=for_viewers
        )
        self.run_task = asyncio.create_task(self._execute(self.execution, for_viewers))

    async def _execute(self, execution: RunExecution, for_viewers: bool) -> None:
        run = await execution()
        frame = {
            "type": "run.finished",
            "run": run.pk,
            "status": run.status,
            "error": run.error,
            "notices": run.notices,
            "usage": run.usage,
        }
        if not execution.saved:
            frame = {**frame, "html": None, "saved": False, "error": NOT_SAVED}
            await self.send_frame(frame)
            if for_viewers:
                await self._relay(frame)
            return
        html, viewer_html = execution.after_save_result
        await self.send_frame({**frame, "html": html})
        if for_viewers:
            await self._relay({**frame, "html": viewer_html})

    async def handle_stop(self, content):
        if not (self.run_task and not self.run_task.done()):
            await self.send_frame({"type": "error", "error": "No run is in progress."})
            return
        self.execution.stop()

    async def _stop_run_task(self):
        task = self.run_task
        if task and not task.done():
            self.execution.stop(SOCKET_CLOSED)
            await asyncio.wait([task], timeout=SHUTDOWN_GRACE_SECONDS)

    # --- live demos -----------------------------------------------------------------------

    async def handle_live_start(self, content):
        session = await _owned_session(self.scope["user"], content.get("session"))
        if session is None:
            await self.send_frame({"type": "error", "error": "No such session."})
            return
        share = await start_live(session)
        if share is None:
            await self.send_frame(
                {"type": "error", "error": "Share the session (team or link) before going live."}
            )
            return
        try:
            await self.channel_layer.group_add(presenter_group(session.pk), self.channel_name)
            await send_to_viewers(
                session.pk,
                {
                    "type": "live.state",
                    "live": True,
                    **await database_sync_to_async(public_state)(session),
                },
            )
        except Exception:
            logger.warning("Session %s could not go live", session.pk, exc_info=True)
            await end_live(session.pk)
            await self.send_frame({"type": "error", "error": LIVE_UNAVAILABLE_MESSAGE})
            return
        self.presenting = session.pk
        self.viewer_relay = ViewerRelay(session.pk)
        viewers = await database_sync_to_async(share.viewers.count)()
        await self.send_frame({"type": "live.started", "session": session.pk, "viewers": viewers})

    async def handle_live_stop(self, content):
        if self.presenting is None:
            await self.send_frame({"type": "error", "error": "This page is not presenting."})
            return
        await self._end_live()
        await self.send_frame({"type": "live.ended"})

    async def _end_live(self):
        session_id, self.presenting = self.presenting, None
        if session_id is None:
            return
        await end_live(session_id)
        try:
            await self.channel_layer.group_discard(presenter_group(session_id), self.channel_name)
        except Exception:
            logger.warning("Could not leave the presenter group of session %s", session_id)
        await self._relay({"type": "live.ended"}, session_id)
        self.viewer_relay = None

    async def live_viewers(self, event):
        await self.send_frame({"type": "live.viewers", "count": event["count"]})

    async def send_frame_and_relay(self, frame: dict) -> None:
        await self.send_frame(frame)
        await self._relay(frame)

    async def _relay(self, frame: dict, session_id: int | None = None) -> None:
        # Without the channel layer the presenter's own run goes on; only viewers miss it.
        relay = self.viewer_relay
        with contextlib.suppress(LiveUnavailable):
            if relay is not None and session_id in (None, relay.session_id):
                await relay.send(frame)
            else:
                await send_to_viewers(session_id or self.presenting, frame)

    async def send_frame(self, frame: dict) -> None:
        """Sends a frame, ignoring a socket that is already gone (the run still saves).

        A frame too large for one message goes as several, or smaller (outgoing.py).
        """
        try:
            for text in fit(frame):
                await self.send(text_data=text)
        except Exception:
            logger.debug("Dropped a frame for a closed socket", exc_info=True)
