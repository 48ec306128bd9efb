"""The presenter's socket: the playground socket, plus live demos of a shared session.

It extends the run socket (execution/consumers.py) through its hook, relay_for(run): the
runs of the session it presents go to that session's viewers too (live.py), frame by frame.
Client → server adds {"action": "live.start", "session": id} and {"action": "live.stop"};
server → client adds live.started, live.viewers and live.ended (README).
"""

import contextlib
import logging

from channels.db import database_sync_to_async

from playground.execution.consumers import LOGIN_ENDED_DURING_RUN, PlaygroundConsumer
from playground.ids import parse_id
from playground.sessions.models import PlaygroundSession

from .live import (
    LIVE_UNAVAILABLE_MESSAGE,
    LiveUnavailable,
    ViewerRelay,
    end_live,
    live_state_frame,
    presenter_group,
    public_state,
    send_to_viewers,
    start_live,
    still_live,
)

logger = logging.getLogger(__name__)


@database_sync_to_async
def _owned_session(user, session_id):
    pk = parse_id(session_id)
    if pk is None:
        return None
    return PlaygroundSession.objects.owned_by(user).select_related("provider").filter(pk=pk).first()


class _LiveRun:
    """A presented run's frames, to the viewers for as long as the demo lasts."""

    def __init__(self, consumer: "PresenterConsumer", session_id: int):
        self.consumer = consumer
        self.session_id = session_id

    async def send(self, frame: dict) -> None:
        await self.consumer.relay(frame, self.session_id)


class PresenterConsumer(PlaygroundConsumer):
    messages_without_database = PlaygroundConsumer.messages_without_database | {"live.viewers"}

    # The session this socket presents live, if any: its runs are relayed to viewers.
    presenting: int | None = None
    viewer_relay: ViewerRelay | None = None

    def action_handlers(self) -> dict:
        return {
            **super().action_handlers(),
            "live.start": self.handle_live_start,
            "live.stop": self.handle_live_stop,
        }

    def relay_for(self, run):
        if self.presenting is not None and self.presenting == run.session_id:
            return _LiveRun(self, run.session_id)
        return None

    async def disconnect(self, code):
        await super().disconnect(code)
        # A presenter who leaves ends the demo; the runs stay on the share page.
        await self._end_live()

    async def handle_live_start(self, content):
        if not await database_sync_to_async(self.has_access_now)():
            await self.revoke_access()
            return
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
            state = await database_sync_to_async(public_state)(session)
            await send_to_viewers(session.pk, live_state_frame(state, live=True))
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
        await self.relay({"type": "live.ended"}, session_id)
        self.viewer_relay = None

    async def on_access_revoked(self):
        await self._stop_run_task(LOGIN_ENDED_DURING_RUN)
        await self._end_live()

    async def access_recheck(self, event):
        await super().access_recheck(event)
        # A share made private ends its demo (sharing/views.py): the relay stops with it.
        if self.presenting is not None and not await still_live(self.presenting):
            await self._end_live()
            await self.send_frame({"type": "live.ended"})

    async def live_viewers(self, event):
        await self.send_frame({"type": "live.viewers", "count": event["count"]})

    async def relay(self, frame: dict, session_id: int) -> None:
        """A frame to the viewers of session_id (batched while that demo is presented here)."""
        # Without the channel layer the presenter's own run goes on; only viewers miss it.
        viewer_relay = self.viewer_relay
        with contextlib.suppress(LiveUnavailable):
            if viewer_relay is not None and viewer_relay.session_id == session_id:
                await viewer_relay.send(frame)
            else:
                await send_to_viewers(session_id, frame)
