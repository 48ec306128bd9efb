"""Who the client is: its address and scheme, as only trusted proxies may tell.

Behind a reverse proxy, every request comes from the proxy's address. The proxy says whom
it got the request from by appending that address to X-Forwarded-For, after whatever the
client itself put there, and says whether it was reached over https in X-Forwarded-Proto.
Anyone can send those headers, so they count only on a request that comes from a proxy
named in PLAYGROUND_TRUSTED_PROXIES (none by default), and of X-Forwarded-For only what
trusted proxies appended: the client is the rightmost entry that is not a trusted proxy.

This is not daphne's --proxy-headers, which `manage.py serve` therefore leaves off: daphne
believes the leftmost entry, the one the client chose, from anyone, so a client could pick
its own address for the login throttle (accounts/throttle.py) and the logs.
"""

import ipaddress
from functools import lru_cache

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.decorators import sync_and_async_middleware

type Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"PLAYGROUND_TRUSTED_PROXIES: {entry!r} is not an IP address or a network "
                "such as 10.0.0.0/8."
            ) from None
    return tuple(networks)


def trusted_networks() -> tuple[Network, ...]:
    return _networks(tuple(settings.PLAYGROUND_TRUSTED_PROXIES))


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address in text, or None if it is not one."""
    try:
        ip = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped:
        # A dual-stack socket shows an IPv4 peer as ::ffff:a.b.c.d.
        return ip.ipv4_mapped
    return ip


def _is_trusted(ip, networks) -> bool:
    return ip is not None and any(ip in network for network in networks)


def client_address(peer: str, forwarded_for: str, networks) -> str:
    """The client's address: the peer's, unless the peer is a trusted proxy; then the
    rightmost X-Forwarded-For entry that is not one.

    Each entry is the address that the proxy to its right got the request from, so it is
    true only while every proxy to its right is trusted. An entry that is not an address
    was not written by a proxy: the client behind it is unknown, and the last trusted
    proxy stands for it.
    """
    address = parse_ip(peer)
    if not _is_trusted(address, networks):
        return peer
    for entry in reversed(forwarded_for.split(",")):
        hop = parse_ip(entry)
        if hop is None:
            break
        address = hop
        if not _is_trusted(hop, networks):
            break
    return str(address)


def _resolve(request) -> None:
    networks = trusted_networks()
    if not networks:
        return
    meta = request.META
    peer = meta.get("REMOTE_ADDR", "")
    if _is_trusted(parse_ip(peer), networks):
        meta["REMOTE_ADDR"] = client_address(peer, meta.get("HTTP_X_FORWARDED_FOR", ""), networks)
    elif settings.SECURE_PROXY_SSL_HEADER:
        # Only a trusted proxy may say that the client came over https.
        meta.pop(settings.SECURE_PROXY_SSL_HEADER[0], None)


@sync_and_async_middleware
def trusted_proxy_middleware(get_response):
    """Puts the client's address in REMOTE_ADDR, and keeps the https header from anyone but
    a trusted proxy. First in MIDDLEWARE, so that everything after it sees the client."""
    trusted_networks()  # A mistyped entry stops the server at start, not at a request.

    if iscoroutinefunction(get_response):

        async def async_middleware(request):
            _resolve(request)
            return await get_response(request)

        return async_middleware

    def middleware(request):
        _resolve(request)
        return get_response(request)

    return middleware
