"""Connections for providers that may reach only public addresses (see addresses.py).

The provider's host is resolved when a connection is opened, every address it resolves to
is checked, and the socket connects to one of those very addresses: no second lookup is
made, so a name that answers a public address to the check and a private one to the
connection (DNS rebinding) gets nowhere. TLS still checks the certificate against the host
name, which httpcore passes apart from the address.
"""

import anyio
import httpcore
import httpx

from .addresses import forbidden_reason, resolve_async
from .backend import AsyncioBackend, use_backend


class ForbiddenAddress(httpx.ConnectError):
    """The provider's host resolves to an address that the provider may not reach."""


class PublicOnlyBackend(httpcore.AsyncNetworkBackend):
    """Wraps a network backend: resolves and checks the host, then connects."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend):
        self._backend = backend

    async def connect_tcp(
        self, host, port, timeout=None, local_address=None, socket_options=None
    ) -> httpcore.AsyncNetworkStream:
        try:
            with anyio.fail_after(timeout):
                addresses = await resolve_async(host, port)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"looking up {host} timed out") from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        if reason := forbidden_reason(host, addresses):
            raise ForbiddenAddress(reason)
        for address in addresses[:-1]:
            try:
                return await self._backend.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError:
                continue  # A host with an IPv6 and an IPv4 address may answer on one only.
        return await self._backend.connect_tcp(
            addresses[-1], port, timeout, local_address, socket_options
        )

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


def public_only_transport(**options) -> httpx.AsyncHTTPTransport:
    """An AsyncHTTPTransport (options as its own) whose connections reach only public addresses.

    It takes no proxy: through a proxy, the proxy would choose the address.
    """
    transport = httpx.AsyncHTTPTransport(**options)
    use_backend(transport, PublicOnlyBackend(AsyncioBackend()))
    return transport
