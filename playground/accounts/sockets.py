"""Sockets whose access is re-checked whenever it can change, and closed once it is gone.

A websocket is authorised when it connects, but it may stay open for hours: its login can
end (a logout, a password change elsewhere, which changes Django's session auth hash) and
what it was allowed to see can change (a share revoked, a team left). Whatever changes
access asks the sockets concerned to re-check it, through the channel layer: every socket
of a logged-in user is in that user's group, and the apps add their own groups (sharing:
the viewers and the presenter of a session). A socket whose check fails gets an
`access.revoked` frame and is closed with ACCESS_REVOKED_CLOSE_CODE.
"""

import contextlib
import logging
from importlib import import_module
from typing import TYPE_CHECKING

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
    load_backend,
)
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac

if TYPE_CHECKING:
    from channels.generic.websocket import AsyncJsonWebsocketConsumer as _Consumer
else:
    # A mixin: the consumer class it is mixed into gives scope, channel_layer, send_json...
    _Consumer = object

logger = logging.getLogger(__name__)

# Sent with the close, so a client can tell "access ended" from a dropped connection and not
# reconnect (4000-4999 are the application's own codes; this one echoes HTTP's 403).
ACCESS_REVOKED_CLOSE_CODE = 4403


def user_group(user_id: int) -> str:
    """The channel-layer group of every open socket of one user."""
    return f"user.{user_id}"


def session_digest(session_key: str | None) -> str:
    """Names a login session in channel-layer messages without giving its key away."""
    return salted_hmac(
        "playground.accounts.sockets", session_key or "", algorithm="sha256"
    ).hexdigest()


def socket_user(scope):
    """Who the socket's session cookie logs in now: its user, or AnonymousUser.

    Read afresh from the session store, unlike scope["user"], which was loaded once at
    connect. The checks are django.contrib.auth.get_user's (the session still exists, its
    backend is configured, the user can still log in, the session auth hash matches the
    password, with SECRET_KEY_FALLBACKS), but nothing is written: a socket's check must not
    flush or re-key a session that a page of the same browser is using.
    """
    connected_as = scope.get("user")
    session = scope.get("session")
    if connected_as is None or not connected_as.is_authenticated or session is None:
        return AnonymousUser()
    store = import_module(settings.SESSION_ENGINE).SessionStore(session.session_key)
    try:
        user_id = get_user_model()._meta.pk.to_python(store[SESSION_KEY])
        backend_path = store[BACKEND_SESSION_KEY]
    except KeyError:
        return AnonymousUser()
    if backend_path not in settings.AUTHENTICATION_BACKENDS or user_id != connected_as.pk:
        return AnonymousUser()
    user = load_backend(backend_path).get_user(user_id)
    stored_hash = store.get(HASH_SESSION_KEY)
    if user is None or not stored_hash:
        return AnonymousUser()
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    if not any(constant_time_compare(stored_hash, known) for known in hashes):
        return AnonymousUser()
    return user


def ask_to_recheck(groups, ended_session: str | None = None) -> None:
    """Asks the sockets in these channel-layer groups to re-check their access.

    Sent once the current transaction commits, so the check sees the change. With Redis
    down the message is lost, and the change that asked must not fail for it: the sockets
    re-check by themselves once Redis is back (ClosesWhenAccessEnds.dispatch).
    """
    message = {"type": "access.recheck"}
    if ended_session is not None:
        message["ended_session"] = session_digest(ended_session)
    groups = list(groups)

    def send():
        layer = get_channel_layer()
        for group in groups:
            try:
                async_to_sync(layer.group_send)(group, message)
            except Exception as exc:
                logger.warning("Could not ask group %s to re-check its access: %s", group, exc)

    transaction.on_commit(send)


def ask_users_to_recheck(user_ids, ended_session: str | None = None) -> None:
    ask_to_recheck([user_group(pk) for pk in user_ids], ended_session)


# Messages handled without the re-check owed after an outage: the first and last of a
# socket, and a re-check itself.
OUTAGE_BLIND_MESSAGES = frozenset({"websocket.connect", "websocket.disconnect", "access.recheck"})


class ClosesWhenAccessEnds(_Consumer):
    """A consumer mixin: re-checks access on every "access.recheck" message, and closes the
    socket, after an `access.revoked` frame saying why, once access is gone.

    The consumer provides has_access(user) (synchronous: it runs in the database thread;
    user is whom the socket's session logs in now, maybe AnonymousUser) and
    access_revoked_error, and may override on_access_revoked() to wind down what it runs.
    """

    access_revoked_error = "Your access ended."
    access_ended = False
    _user_group: str | None = None
    _outages_seen: int | None = None

    def has_access(self, user) -> bool:
        raise NotImplementedError

    def has_access_now(self) -> bool:
        return self.has_access(socket_user(self.scope))

    async def dispatch(self, message):
        # A re-check sent while Redis was down is lost: after an outage (redis_outage.py
        # counts them), the socket's next message waits for a re-check of its own.
        outages = getattr(self.channel_layer, "outages", 0)
        if self._outages_seen is None or message["type"] in OUTAGE_BLIND_MESSAGES:
            self._outages_seen = outages
        elif outages != self._outages_seen:
            self._outages_seen = outages
            await self.access_recheck({})
            if self.access_ended:
                return
        await super().dispatch(message)

    async def join_user_group(self) -> None:
        """Joins the user's group, so a logout or a password change reaches this socket."""
        user = self.scope["user"]
        if not user.is_authenticated:
            return
        self._user_group = user_group(user.pk)
        try:
            await self.channel_layer.group_add(self._user_group, self.channel_name)
        except Exception as exc:
            # Redis down: the socket still works, and the checks made on what it is asked
            # to do still hold; only the push is lost.
            logger.warning("Socket not added to %s: %s", self._user_group, exc)
            self._user_group = None

    async def leave_user_group(self) -> None:
        group, self._user_group = self._user_group, None
        if group is not None:
            with contextlib.suppress(Exception):
                await self.channel_layer.group_discard(group, self.channel_name)

    async def access_recheck(self, event) -> None:
        if self.access_ended:
            return
        if self._session_ended(event.get("ended_session")):
            # The logout signal comes before the session is flushed, so a check made now
            # could still find it: the socket counts as logged out already.
            allowed = await database_sync_to_async(self.has_access)(AnonymousUser())
        else:
            allowed = await database_sync_to_async(self.has_access_now)()
        if not allowed:
            await self.revoke_access()

    def _session_ended(self, digest: str | None) -> bool:
        session = self.scope.get("session")
        if digest is None or session is None or not session.session_key:
            return False
        return constant_time_compare(digest, session_digest(session.session_key))

    async def revoke_access(self) -> None:
        if self.access_ended:
            return  # a message that came in while the socket was closing
        self.access_ended = True
        await self.leave_user_group()
        await self.on_access_revoked()
        with contextlib.suppress(Exception):
            await self.send_json({"type": "access.revoked", "error": self.access_revoked_error})
        await self.close(code=ACCESS_REVOKED_CLOSE_CODE)

    async def on_access_revoked(self) -> None:
        """Stops what the socket was doing, before it is told and closed."""
