"""Sockets are opened by the app's own pages only: the same origin rule as a POSTed form.

Channels' AllowedHostsOriginValidator only asks whether the Origin's host name is in
ALLOWED_HOSTS, so a page on another port of an allowed host (another local dev server,
say) could open a socket with the user's cookies, which browsers send whatever the port.
This asks, as Django's CSRF check does, that the Origin be the Host the socket was opened
on, or one of CSRF_TRUSTED_ORIGINS (for a proxy that rewrites Host).
"""

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.utils.http import is_same_domain


def _header(scope, name: bytes) -> str | None:
    for header_name, value in scope.get("headers", []):
        if header_name == name:
            return value.decode("latin1")
    return None


def _is_trusted(origin: str) -> bool:
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    scheme, netloc = urlsplit(origin)[:2]
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        if "*" in trusted:
            pattern = urlsplit(trusted)
            if pattern.scheme == scheme and is_same_domain(netloc, pattern.netloc.lstrip("*")):
                return True
    return False


def is_same_origin(scope) -> bool:
    origin, host = _header(scope, b"origin"), _header(scope, b"host")
    if not origin or not host:
        return False
    try:
        netloc = urlsplit(origin).netloc
    except ValueError:
        return False
    return netloc.lower() == host.lower() or _is_trusted(origin)


class SameOriginValidator:
    """ASGI middleware for the websocket router: refuses sockets from other origins."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if is_same_origin(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
