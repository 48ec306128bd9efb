"""Which network addresses a provider may reach, and the lookups that tell.

A provider that a user adds makes the server send requests wherever its base URL says.
Left unchecked, that reaches the server's own loopback services, the private network behind
it and the cloud's metadata service (server-side request forgery). So the providers that
users add may reach only public addresses. Shared providers (the local model among them),
staff's providers, and everyone's when PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS is on may reach any.
"""

import ipaddress
import socket

import anyio

# Cloud metadata services. Most are link-local or private anyway; some are public addresses.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",  # AWS, Google Cloud, Azure, OpenStack, DigitalOcean and others
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS, over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "168.63.129.16",  # Azure's WireServer, a public address
        "192.0.0.192",  # Oracle Cloud
    )
)

# IPv6 addresses that carry an IPv4 address in their last 32 bits and reach what it reaches:
# the deprecated IPv4-compatible form, and NAT64's well-known prefix.
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

RULE = (
    "providers that users add may only reach public addresses. Ask an admin to add it as a "
    "shared provider, or to set PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS=true on a single-user install."
)


def address_kind(address: str) -> str | None:
    """What kind of non-public address this is, such as "a loopback address"; None if public."""
    # An IPv6 address from getaddrinfo may carry a zone, such as fe80::1%eth0.
    ip = ipaddress.ip_address(address.partition("%")[0])
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if ip.version == 6 and (embedded := _embedded_ipv4(ip)):
        return address_kind(str(embedded))
    if ip.is_unspecified:
        # Connecting to 0.0.0.0 or :: reaches the server itself.
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private:
        return "a private address"
    if ip.is_multicast or ip.is_reserved or not ip.is_global:
        # 100.64.0.0/10 (carrier-grade NAT, Alibaba's metadata), 240.0.0.0/4 and the like.
        return "a reserved address"
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if (ip in _IPV4_COMPATIBLE and int(ip) > 1) or ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def forbidden_reason(host: str, addresses: list[str]) -> str | None:
    """Why a provider that may reach only public addresses may not reach host, or None."""
    for address in addresses:
        kind = address_kind(address)
        if kind and address == host:
            return f"{host} is {kind}: {RULE}"
        if kind:
            return f"{host} resolves to {address}, {kind}: {RULE}"
    return None


def _addresses(infos: list[tuple]) -> list[str]:
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def resolve(host: str, port: int | None = None) -> list[str]:
    """Every address host resolves to, as the operating system resolves it.

    The OS resolver reads numeric forms that Python's ipaddress refuses, such as 2130706433,
    0177.0.0.1, 0x7f.1 and 127.1 (all 127.0.0.1), so those are checked as what they reach.
    Raises OSError when the host does not resolve.
    """
    return _addresses(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))


async def resolve_async(host: str, port: int | None = None) -> list[str]:
    """resolve(), in a worker thread: getaddrinfo blocks, and the event loop must not."""
    return _addresses(await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM))
