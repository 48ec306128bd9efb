"""The viewer's socket of a shared session: read-only, it only ever receives.

It stays open only while the viewer may still open the share: a change to the share, the
viewer's teams or login makes it check again, and closes it if not (accounts/sockets.py).
"""

import asyncio
import contextlib

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import Http404

from playground.accounts.sockets import ClosesWhenAccessEnds
from playground.sockets.dispatch import LeanDispatch
from playground.sockets.outgoing import fit

from .access import ACCESS_ENDED, share_for_team_member, share_for_token
from .live import (
    VIEWER_REJOIN_INTERVAL,
    add_viewer,
    announce_viewer_count,
    join_viewers,
    live_state_frame,
    public_state,
    remove_viewer,
    viewers_group,
)


def _find_share(user, kwargs):
    if "token" in kwargs:
        share = share_for_token(kwargs["token"], user)
    else:
        share = share_for_team_member(kwargs["session_id"], user)
    # Loaded here, in a thread, so nothing touches the database lazily in async code.
    return share, public_state(share.session)


class WatchConsumer(ClosesWhenAccessEnds, LeanDispatch, AsyncJsonWebsocketConsumer):
    # With 100 viewers, the trips to the database thread were most of their lag.
    messages_without_database = frozenset({"live.frame", "access.recheck"})
    access_revoked_error = ACCESS_ENDED

    share = None
    rejoining: asyncio.Task | None = None

    def has_access(self, user) -> bool:
        try:
            _find_share(user, self.scope["url_route"]["kwargs"])
        except Http404:
            return False
        return True

    async def connect(self):
        try:
            self.share, state = await database_sync_to_async(_find_share)(
                self.scope["user"], self.scope["url_route"]["kwargs"]
            )
        except Http404:
            await self.close()
            return
        self.session_id = self.share.session_id
        live_available = await join_viewers(self.session_id, self.channel_name)
        await self.join_user_group()
        # Checked again now that the groups would hear of a change: one made since the
        # first check would otherwise go unnoticed.
        if not await database_sync_to_async(self.has_access_now)():
            await self._leave_groups()
            self.share = None
            await self.close()
            return
        await self.accept()
        await self._send_live_state(state, live_available)
        self.rejoining = asyncio.ensure_future(self._keep_joining(live_available))
        count = await add_viewer(self.share, self.channel_name)
        await announce_viewer_count(self.session_id, count)

    async def _send_live_state(self, state: dict, live_available: bool) -> None:
        frame = live_state_frame(
            state,
            live=self.share is not None and self.share.is_live and live_available,
            available=live_available,
        )
        # A long prompt is in it twice (its text, and its html): within daphne's size limit.
        for text in fit(frame):
            await self.send(text_data=text)

    async def _keep_joining(self, live_available: bool):
        # The server tells the page when live mode goes or comes back (join_viewers), with
        # the session as it is then: the page has no reason to reconnect.
        while True:
            await asyncio.sleep(VIEWER_REJOIN_INTERVAL)
            if await join_viewers(self.session_id, self.channel_name) == live_available:
                continue
            live_available = not live_available
            try:
                self.share, state = await database_sync_to_async(_find_share)(
                    self.scope["user"], self.scope["url_route"]["kwargs"]
                )
            except Http404:
                # Access ended while Redis could not say so.
                self.rejoining = None
                await self.revoke_access()
                return
            await self._send_live_state(state, live_available)

    async def _stop_rejoining(self):
        task, self.rejoining = self.rejoining, None
        if task is not None and task is not asyncio.current_task():
            # First, so that the group is not joined again after it is left.
            task.cancel()
            # Or it ended on a send to the socket that has just closed.
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def disconnect(self, code):
        if self.share is None:
            return
        await self._leave_groups()
        count = await remove_viewer(self.share, self.channel_name)
        await announce_viewer_count(self.session_id, count)

    async def on_access_revoked(self):
        # Out of the demo's group at once: nothing more of it reaches this socket.
        await self._leave_groups()

    async def _leave_groups(self):
        await self._stop_rejoining()
        await self.leave_user_group()
        with contextlib.suppress(Exception):
            await self.channel_layer.group_discard(
                viewers_group(self.session_id), self.channel_name
            )

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # Enforced here, not only by the page: a viewer's socket changes nothing.
        await self.send_json(
            {"type": "error", "error": "This is a read-only view: viewers cannot change anything."}
        )

    async def live_frame(self, event):
        if self.access_ended:
            return  # sent before this socket left the group
        # The presenter's frames, each within daphne's message size limit (sockets/outgoing.py).
        for text in fit(event["frame"]):
            await self.send(text_data=text)
