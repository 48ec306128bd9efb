"""Live demos: what a presenter's session sends to its viewers through the channel layer.

Viewers of session N listen on the group "live.N"; the presenter's sockets on "presenting.N".
Both work across server processes when the channel layer is Redis.
"""

import asyncio
import contextlib
import logging

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from playground.redis_outage import redis_answers

from .models import LiveViewer, SessionShare, Visibility
from .tree_view import shown_node

logger = logging.getLogger(__name__)

# The longest a token waits to be relayed to viewers, batched with the tokens after it.
RELAY_INTERVAL = 0.05
# How often a viewer's socket takes its place among the viewers again (join_viewers).
VIEWER_REJOIN_INTERVAL = 2.0


def viewers_group(session_id: int) -> str:
    return f"live.{session_id}"


def presenter_group(session_id: int) -> str:
    return f"presenting.{session_id}"


class LiveUnavailable(Exception):
    """The channel layer (Redis) cannot be reached: live mode cannot work right now."""


# What the pages and the presenter's socket say while Redis is down.
LIVE_UNAVAILABLE_MESSAGE = (
    "Live mode is unavailable right now: the server cannot reach Redis. "
    "Runs still work; viewers cannot follow them until it is back."
)


def live_mode_available() -> bool:
    """For pages: the in-process channel layer always works; Redis, while it answers."""
    return not settings.REDIS_URL or redis_answers(settings.REDIS_URL)


async def join_viewers(session_id: int, channel_name: str) -> bool:
    """Puts a viewer's channel in the session's group; False while Redis cannot be reached.

    Joining again is harmless, and a viewer's socket does so every VIEWER_REJOIN_INTERVAL:
    that is how an open share page learns that Redis is down or back, and how it keeps its
    place when Redis comes back empty (a restart without persistence loses every group).
    """
    try:
        await get_channel_layer().group_add(viewers_group(session_id), channel_name)
    except Exception:
        return False
    return True


async def send_to_viewers(session_id: int, frame: dict) -> None:
    try:
        await get_channel_layer().group_send(
            viewers_group(session_id), {"type": "live.frame", "frame": frame}
        )
    except Exception as exc:
        logger.warning("Live frame for session %s not sent: %s", session_id, exc)
        raise LiveUnavailable(str(exc)) from exc


class ViewerRelay:
    """Relays a presenter's frames to the viewers of one session, in order, with its delta and
    tokens frames batched.

    Every frame sent to the group costs each viewer's socket a message to dispatch, so the
    text (delta) and the tokens of a run wait up to RELAY_INTERVAL for those of the same run
    that follow, and go in one delta frame, then one tokens frame: a token's text came before
    it, so it is in that delta or an earlier one. Any other frame first sends what is waiting.
    Raises LiveUnavailable, as send_to_viewers does; a delayed batch that fails is logged.
    """

    def __init__(self, session_id: int):
        self.session_id = session_id
        self._run = None
        self._texts: dict[str, list[str]] = {}
        self._tokens: dict[str, list[list]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._flushing: asyncio.Task | None = None
        # Keeps a delayed batch and the frames sent meanwhile in order.
        self._lock = asyncio.Lock()

    async def send(self, frame: dict) -> None:
        kind = frame.get("type")
        if kind in ("delta", "tokens"):
            run = frame.get("run")
            # Until what waits is this run's (or nothing): while a send waits on the channel
            # layer, another run's frames (a comparison's other column) may come in.
            while (self._texts or self._tokens) and run != self._run:
                async with self._lock:
                    if (self._texts or self._tokens) and run != self._run:
                        await self._send_waiting()
            # No await from the check to here: what waits is all this run's.
            self._run = run
            for index, part in frame["choices"].items():
                if kind == "delta":
                    self._texts.setdefault(index, []).append(part)
                else:
                    self._tokens.setdefault(index, []).extend(part)
            if self._timer is None:
                loop = asyncio.get_running_loop()
                self._timer = loop.call_later(RELAY_INTERVAL, self._send_later)
            return
        async with self._lock:
            await self._send_waiting()
            await send_to_viewers(self.session_id, frame)

    def _send_later(self) -> None:
        self._timer = None
        self._flushing = asyncio.ensure_future(self._send_delayed())

    async def _send_delayed(self) -> None:
        try:
            async with self._lock:
                await self._send_waiting()
        except LiveUnavailable:
            pass  # already logged by send_to_viewers

    async def _send_waiting(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        # Taken before the first send: another run's frames may come in meanwhile.
        run, texts, tokens = self._run, self._texts, self._tokens
        self._texts, self._tokens = {}, {}
        if texts:
            choices = {index: "".join(parts) for index, parts in texts.items()}
            await send_to_viewers(
                self.session_id, {"type": "delta", "run": run, "choices": choices}
            )
        if tokens:
            await send_to_viewers(
                self.session_id, {"type": "tokens", "run": run, "choices": tokens}
            )


def send_to_viewers_now(session_id: int, frame: dict) -> None:
    """From synchronous code (an HTTP view): best effort, never failing the request."""
    with contextlib.suppress(LiveUnavailable):
        async_to_sync(send_to_viewers)(session_id, frame)


def show_state_to_live_viewers(session) -> None:
    """A presenter's edit reaches the viewers of a live session (a no-op when not live)."""
    if SessionShare.objects.filter(session=session, live_since__isnull=False).exists():
        send_to_viewers_now(session.pk, live_state_frame(public_state(session), live=True))


def show_tree_change_to_live_viewers(session_id: int) -> None:
    """A branch pruned or brought back: the viewers' tree panels fetch the tree again."""
    if SessionShare.objects.filter(session_id=session_id, live_since__isnull=False).exists():
        send_to_viewers_now(session_id, {"type": "tree.changed"})


def _blank(value) -> bool:
    return value in ("", None)


def _is_set(value) -> bool:
    # The form posts its empty stop and logit_bias rows too: a list of blanks is not set.
    if isinstance(value, list):
        return not all(_blank(item) for item in value)
    return not _blank(value)


def public_state(session) -> dict:
    """What viewers may see of the form: no provider id, key or header, only names; and the
    node of the tree the owner's editor shows (its document is the prompt), "" for none."""
    return {
        "title": session.display_title,
        "prompt": session.prompt,
        "model": session.model,
        "provider": session.provider.name if session.provider else "",
        "parameters": {
            name: value for name, value in (session.parameters or {}).items() if _is_set(value)
        },
        "node": shown_node(session),
    }


def shown_state(state: dict) -> dict:
    """The public state as the share page shows it: a list's values joined by commas."""
    return {
        **state,
        "parameters": {
            name: (
                ", ".join(str(item) for item in value if not _blank(item))
                if isinstance(value, list)
                else value
            )
            for name, value in state["parameters"].items()
        },
    }


def live_state_frame(state: dict, **flags) -> dict:
    """The live.state frame: the public state as JSON fields, for any client, and as `html`,
    the share page's view of it (sharing/live_state.html), which the page swaps in as it is.

    flags: `live`, and on the viewer's own socket `available` (README, the protocol).
    """
    html = render_to_string("sharing/live_state.html", {"state": shown_state(state), "oob": True})
    return {"type": "live.state", **flags, **state, "html": html}


@database_sync_to_async
def start_live(session) -> SessionShare | None:
    """Marks a shared session live; None if it is private (nobody could watch)."""
    share = SessionShare.objects.filter(session=session).exclude(visibility="private").first()
    if share is None:
        return None
    share.live_since = timezone.now()
    share.save(update_fields=["live_since"])
    return share


@database_sync_to_async
def still_live(session_id: int) -> bool:
    """Whether a demo goes on: making its session private, or revoking its link, ends it."""
    return (
        SessionShare.objects.filter(session_id=session_id, live_since__isnull=False)
        .exclude(visibility=Visibility.PRIVATE)
        .exists()
    )


@database_sync_to_async
def end_live(session_id: int) -> None:
    SessionShare.objects.filter(session_id=session_id).update(live_since=None)


@database_sync_to_async
def add_viewer(share: SessionShare, channel_name: str) -> int:
    LiveViewer.objects.update_or_create(channel_name=channel_name, defaults={"share": share})
    return share.viewers.count()


@database_sync_to_async
def remove_viewer(share: SessionShare, channel_name: str) -> int:
    LiveViewer.objects.filter(channel_name=channel_name).delete()
    return share.viewers.count()


async def announce_viewer_count(session_id: int, count: int) -> None:
    message = {"type": "live.viewers", "count": count}
    try:
        layer = get_channel_layer()
        await layer.group_send(presenter_group(session_id), message)
    except Exception as exc:
        logger.warning("Viewer count for session %s not sent: %s", session_id, exc)
