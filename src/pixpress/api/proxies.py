"""Who the client is behind load balancers: X-Forwarded-For and -Proto, believed only from trusted proxies.

Each proxy appends the address it saw to X-Forwarded-For, so only the hops added by our own proxies can
be believed: the client is the rightmost hop that is not one of them. Everything left of it is whatever
the client chose to send. pixpress does this itself (`pixpress serve` turns uvicorn's own handling off), so
the answer does not depend on the server or its FORWARDED_ALLOW_IPS.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

from pixpress.config import IpNetwork

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_HOST_CHARS = 64  # a hop that is not an address is still a counter key: keep it short
SCHEMES = frozenset({"http", "https"})


def parse_address(value: str) -> IpAddress | None:
    """An address from a hop: `1.2.3.4`, `1.2.3.4:5678`, `::1`, `[::1]:80`; IPv4-mapped IPv6 as IPv4."""
    host = value.strip()
    if host.startswith("["):
        host = host[1 : host.find("]")] if "]" in host else host
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted(value: str, trusted: Sequence[IpNetwork]) -> bool:
    address = parse_address(value)
    return address is not None and any(address in network for network in trusted)


def client_host(peer: str, forwarded_for: Iterable[str], trusted: Sequence[IpNetwork]) -> str:
    """The client's address: the peer, or, when the peer is a trusted proxy, the rightmost untrusted hop."""
    if not is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop, trusted):
            return _normalized(hop)
    # Every hop is one of ours: the request started on a trusted machine.
    return _normalized(hops[0]) if hops else peer


def _normalized(hop: str) -> str:
    address = parse_address(hop)
    return str(address) if address is not None else hop[:MAX_HOST_CHARS]


class TrustedProxyMiddleware:
    """Rewrites the scope's client and scheme from the forwarded headers of trusted proxies only."""

    def __init__(self, app: ASGIApp, *, trusted: Sequence[IpNetwork]) -> None:
        self.app = app
        self.trusted = tuple(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.trusted and scope.get("client"):
            peer, port = scope["client"]
            if is_trusted(peer, self.trusted):
                headers: list[tuple[bytes, bytes]] = scope["headers"]
                forwarded = [v.decode("latin-1") for k, v in headers if k == b"x-forwarded-for"]
                protos = [v.decode("latin-1").strip() for k, v in headers if k == b"x-forwarded-proto"]
                scope = dict(scope)
                scope["client"] = (client_host(peer, forwarded, self.trusted), port)
                if protos and protos[-1] in SCHEMES:
                    scope["scheme"] = protos[-1]
        await self.app(scope, receive, send)
