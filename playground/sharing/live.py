"""Live demos: what a presenter's session sends to its viewers through the channel layer.

Viewers of session N listen on the group "live.N"; the presenter's sockets on "presenting.N".
Both work across server processes when the channel layer is Redis.
"""

import contextlib
import logging

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.utils import timezone

from .models import LiveViewer, SessionShare

logger = logging.getLogger(__name__)


def viewers_group(session_id: int) -> str:
    return f"live.{session_id}"


def presenter_group(session_id: int) -> str:
    return f"presenting.{session_id}"


class LiveUnavailable(Exception):
    """The channel layer (Redis) cannot be reached: live mode cannot work right now."""


async def send_to_viewers(session_id: int, frame: dict) -> None:
    try:
        await get_channel_layer().group_send(
            viewers_group(session_id), {"type": "live.frame", "frame": frame}
        )
    except Exception as exc:
        logger.warning("Live frame for session %s not sent: %s", session_id, exc)
        raise LiveUnavailable(str(exc)) from exc


def send_to_viewers_now(session_id: int, frame: dict) -> None:
    """From synchronous code (an HTTP view): best effort, never failing the request."""
    with contextlib.suppress(LiveUnavailable):
        async_to_sync(send_to_viewers)(session_id, frame)


def show_state_to_live_viewers(session) -> None:
    """A presenter's edit reaches the viewers of a live session (a no-op when not live)."""
    if SessionShare.objects.filter(session=session, live_since__isnull=False).exists():
        send_to_viewers_now(
            session.pk, {"type": "live.state", "live": True, **public_state(session)}
        )


def public_state(session) -> dict:
    """What viewers may see of the form: no provider id, key or header, only names."""
    return {
        "title": session.display_title,
        "prompt": session.prompt,
        "model": session.model,
        "provider": session.provider.name if session.provider else "",
        "parameters": {
            name: value
            for name, value in (session.parameters or {}).items()
            if value not in ("", [], None)
        },
    }


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
