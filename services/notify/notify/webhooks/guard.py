"""Where a webhook may point: HTTPS, and never a private, loopback, link-local or otherwise
internal address, unless the service allows it (dev and test, whose receivers run on this
machine). Checked when the endpoint is registered and again before each delivery, since a name
can come to resolve elsewhere."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


class Refused(ValueError):
    """Why the URL may not be called."""


def _internal(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified or (ip.version == 6 and ip.ipv4_mapped is not None and _internal(str(ip.ipv4_mapped))))


async def check(url: str, *, allow_internal: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise Refused("a webhook URL is an absolute http(s) URL")
    if parts.username or parts.password:
        raise Refused("a webhook URL carries no credentials: the signature authenticates the sender")
    if allow_internal:
        return
    if parts.scheme != "https":
        raise Refused("a webhook URL must use https")
    try:
        found = await asyncio.get_running_loop().getaddrinfo(parts.hostname, parts.port or 443,
                                                              type=socket.SOCK_STREAM)
    except OSError as exc:
        raise Refused(f"the webhook's host does not resolve: {parts.hostname}") from exc
    if any(_internal(str(info[4][0])) for info in found):
        raise Refused("a webhook may not point at a private, loopback or link-local address")
