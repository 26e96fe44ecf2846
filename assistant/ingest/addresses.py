"""Where a fetch may connect: which addresses are public, what a host resolves to, and requests pinned to them.

A request goes to an address that was checked, not to a second lookup: its URL carries that address while the
Host header and the TLS name (SNI, certificate check) keep the link's host name, so a DNS answer that changes
between the check and the connection (DNS rebinding) cannot turn it elsewhere.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as LookupTimeoutError
from dataclasses import dataclass
from typing import Any

import httpx

from assistant.errors import BadInputError
from assistant.ingest.deadline import TimeUpError, Watchdog

logger = logging.getLogger(__name__)

# NAT64 (RFC 6052): the gateway connects to the IPv4 address in the last 32 bits, in its own network.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# getaddrinfo has no timeout of its own: lookups run here so a fetch can stop waiting for one.
_RESOLVER = ThreadPoolExecutor(max_workers=4, thread_name_prefix="fetch-lookup")


@dataclass(frozen=True)
class Target:
    """A checked link and the addresses to connect to (none: let httpx resolve the name)."""

    url: httpx.URL
    addresses: tuple[str, ...]


def is_public_address(address: str) -> bool:
    """Whether an IP address (text, as getaddrinfo gives it) is on the public internet."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.is_global and not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified
    )


def resolve_host(url: httpx.URL, deadline: float, subject: str) -> tuple[str, ...]:
    """Every address the link's host resolves to, in the resolver's order of preference."""
    host = url.raw_host.decode("ascii")
    port = url.port or (443 if url.scheme == "https" else 80)
    lookup = _RESOLVER.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        found = lookup.result(timeout=max(deadline - time.monotonic(), 0.0))
    except LookupTimeoutError as err:
        lookup.cancel()
        raise TimeUpError from err
    except (OSError, UnicodeError) as err:
        raise BadInputError(f"{subject} names a host that cannot be found ({url.host}); check the link") from err
    # Scope ids ("fe80::1%eth0") are dropped: the address is what is checked and connected to.
    addresses = dict.fromkeys(str(info[4][0]).split("%")[0] for info in found)
    if not addresses:
        raise BadInputError(f"{subject} names a host that cannot be found ({url.host}); check the link")
    return tuple(addresses)


def send_pinned(
    http: httpx.Client, target: Target, headers: dict[str, str], deadline: float, watchdog: Watchdog
) -> httpx.Response:
    """Send one GET for ``target``, to each checked address in turn until one connects; the streaming response."""
    host = target.url.raw_host.decode("ascii")
    for attempt, address in enumerate(target.addresses or ("",)):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeUpError
        sent_headers = dict(headers)
        extensions: dict[str, Any] = {"trace": watchdog.trace}
        url = target.url
        if address:
            url = target.url.copy_with(host=address)
            sent_headers["Host"] = target.url.netloc.decode("ascii")
            # A pooled connection is keyed by address: kept open, it could carry another name's request over a
            # TLS session whose certificate was checked for this name.
            sent_headers["Connection"] = "close"
            extensions["sni_hostname"] = host
        request = http.build_request(
            "GET", url, headers=sent_headers, timeout=httpx.Timeout(remaining), extensions=extensions
        )
        try:
            response = http.send(request, stream=True, follow_redirects=False)
        except httpx.ConnectError:
            if attempt + 1 >= len(target.addresses):
                raise
            logger.debug("Could not connect to %s at %s; trying its next address", host, address)
            continue
        watchdog.watch(response.extensions.get("network_stream"))
        return response
    raise AssertionError("unreachable: the last address re-raises its error")
