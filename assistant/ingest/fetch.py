"""Download what an http(s) link points to, safely enough for links pasted by strangers.

What a fetch goes through, in order:

- The link must be http or https, without ``user:password@``; its #fragment is dropped.
- Unless private addresses are allowed, the host name is resolved and every address it resolves to must be
  public (not loopback, private, link-local, reserved, multicast or unspecified; IPv4 inside IPv6 is unwrapped).
- The connection then goes to an address that was checked, not to a second lookup: the request's URL carries
  that address while the Host header and the TLS name (SNI, certificate check) keep the link's host name, so a
  DNS answer that changes between the check and the connection (DNS rebinding) cannot turn it elsewhere.
  Proxies from the environment are not used (a proxy would resolve the name itself). A ``client`` passed in is
  used as it is configured: if it has a proxy, that proxy resolves the name.
- Redirects are followed here, one hop at a time, each new link checked like the first.
- One deadline covers the whole fetch: name lookups, connections, every hop and every read. A watchdog shuts
  the connection down when it passes, so a server that trickles a byte at a time cannot hold a fetch longer.
- The body is read as a stream and decompressed here with a bound on each step's output, so neither a large
  body nor a gzip bomb takes more memory than ``max_bytes`` and one chunk.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as LookupTimeoutError
from dataclasses import dataclass
from typing import Any

import httpx

from assistant.errors import BadInputError

logger = logging.getLogger(__name__)

USER_AGENT = "article-assistant/0.1 (+local)"
_HEADERS = {
    "User-Agent": USER_AGENT,
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,application/rss+xml;q=0.9,"
    "application/atom+xml;q=0.9,application/pdf;q=0.9,text/plain;q=0.8,*/*;q=0.5",
    # Decoded here, with a bound on the output; other encodings (br, zstd, stacked ones) are refused.
    "Accept-Encoding": "gzip",
}
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DECODED_CHUNK = 65_536
_SHOWN_LINK = 200
# NAT64 (RFC 6052): the gateway connects to the IPv4 address in the last 32 bits, in its own network.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# getaddrinfo has no timeout of its own: lookups run here so a fetch can stop waiting for one.
_RESOLVER = ThreadPoolExecutor(max_workers=4, thread_name_prefix="fetch-lookup")


@dataclass(frozen=True)
class FetchLimits:
    """What one fetch may cost, and where it may go."""

    timeout: float = 15.0  # seconds for the whole fetch (lookups, connections, every hop and read)
    max_bytes: int = 20_000_000  # of the decoded body; larger bodies are refused while streaming
    max_redirects: int = 5
    allow_private: bool = False  # loopback, private, link-local, reserved, multicast, unspecified addresses


DEFAULT_LIMITS = FetchLimits()


@dataclass(frozen=True)
class Fetched:
    """A downloaded body and what the server said it is."""

    url: str  # the final URL after redirects
    content_type: str  # media type only, lowercased, no parameters ("text/html")
    charset: str  # from the Content-Type header, "" if none
    data: bytes


@dataclass(frozen=True)
class _Target:
    """A checked link and the addresses to connect to (none: let httpx resolve the name)."""

    url: httpx.URL
    addresses: tuple[str, ...]


class _TimeUpError(Exception):
    """The fetch's time is up; turned into a BadInputError that names the link and the limit."""


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


def check_link(url: str, allow_private: bool) -> str:
    """Check that a link may be fetched, without fetching it.

    Args:
        url: the link as given.
        allow_private: whether the host may resolve to loopback, private or other non-public addresses; when
            False the name is resolved (within ``FetchLimits().timeout`` seconds) and every address checked.

    Returns:
        The normalised link: lowercased scheme and host, IDNA-encoded host, no #fragment.

    Raises:
        BadInputError: not an http(s) link, credentials in it, a host that cannot be found or that points to a
            non-public address; the message names the link and says what to do.
    """
    limit = DEFAULT_LIMITS.timeout
    try:
        return str(_check(url, allow_private, time.monotonic() + limit, _shown(url) + ":").url)
    except _TimeUpError as err:
        raise BadInputError(_too_slow(_shown(url), limit)) from err


def fetch(url: str, limits: FetchLimits = DEFAULT_LIMITS, *, client: httpx.Client | None = None) -> Fetched:
    """Download what a link points to, following its redirects.

    Args:
        url: an http(s) link.
        limits: the time, size and redirects allowed, and whether non-public addresses may be reached.
        client: an httpx client to send the requests with (its redirect setting is ignored); by default a new
            one that ignores proxy settings from the environment, closed afterwards.

    Returns:
        The final URL, the media type and charset the server gave, and the body (decompressed).

    Raises:
        BadInputError: the link is refused (see ``check_link``), redirects to a refused link, loops or
            redirects too often, does not answer in time, cannot be reached, answers with an error status, or
            is larger than ``limits.max_bytes``; the message names the link and says what to do.
    """
    started = time.monotonic()
    watchdog = _Watchdog(limits.timeout)
    http = client if client is not None else httpx.Client(trust_env=False)
    shown = _shown(url)
    try:
        fetched, status = _follow(url, limits, http, started + limits.timeout, watchdog)
    except _TimeUpError as err:
        raise BadInputError(_too_slow(shown, limits.timeout)) from err
    except httpx.TimeoutException as err:
        raise BadInputError(_too_slow(shown, limits.timeout)) from err
    except httpx.TransportError as err:
        if watchdog.fired or time.monotonic() >= started + limits.timeout:
            raise BadInputError(_too_slow(shown, limits.timeout)) from err
        if isinstance(err, httpx.ConnectError):
            raise BadInputError(f"{shown}: could not be reached ({err}); check the link or try later") from err
        raise BadInputError(f"{shown}: broke off the connection ({err}); try later") from err
    finally:
        watchdog.stop()
        if client is None:
            http.close()
    logger.info(
        "Fetched %s: %d, %d bytes in %.2f s", fetched.url, status, len(fetched.data), time.monotonic() - started
    )
    return fetched


def _follow(
    url: str, limits: FetchLimits, http: httpx.Client, deadline: float, watchdog: _Watchdog
) -> tuple[Fetched, int]:
    """Fetch ``url``, following and checking each redirect; the body and the final status."""
    shown = _shown(url)
    target = _check(url, limits.allow_private, deadline, shown + ":")
    visited = [str(target.url)]
    while True:
        response = _send(http, target, deadline, watchdog)
        try:
            status = response.status_code
            location = response.headers.get("location") if status in _REDIRECTS else None
            if location is None:
                here = shown if len(visited) == 1 else f"{shown} (redirected to {_shown(visited[-1])})"
                if not 200 <= status < 300:
                    raise BadInputError(_bad_status(here, status))
                fetched = Fetched(
                    url=str(target.url),
                    content_type=response.headers.get("content-type", "").split(";")[0].strip().lower(),
                    charset=response.charset_encoding or "",
                    data=_read_body(response, limits, deadline, watchdog, here),
                )
                return fetched, status
        finally:
            response.close()
        try:
            following = str(target.url.join(location.strip()))
        except httpx.InvalidURL as err:
            raise BadInputError(f"{shown}: redirects to an invalid address; check the link") from err
        if len(visited) > limits.max_redirects:
            raise BadInputError(
                f"{shown}: redirects more than {limits.max_redirects} times; "
                "open it in a browser and add the address it ends at"
            )
        target = _check(following, limits.allow_private, deadline, f"{shown}: redirects to {_shown(following)}, which")
        if str(target.url) in visited:
            hops = " → ".join(_shown(link) for link in [*visited, str(target.url)])
            raise BadInputError(f"{shown}: redirects in a loop ({hops}); open it in a browser to check the link")
        visited.append(str(target.url))


def _check(link: str, allow_private: bool, deadline: float, subject: str) -> _Target:
    """The link parsed and vetted, with the addresses to connect to; ``subject`` begins each error message."""
    try:
        url = httpx.URL(link.strip())
    except httpx.InvalidURL as err:
        raise BadInputError(f"{subject} is not a valid link ({err}); check it") from err
    if url.scheme not in ("http", "https") or not url.host:
        raise BadInputError(
            f"{subject} is not an http(s) link; give the address of a web page, starting with http:// or https://"
        )
    if url.userinfo:
        raise BadInputError(f"{subject} contains a user name or password; remove the 'user:password@' part")
    url = url.copy_with(fragment=None)
    if allow_private:
        return _Target(url, ())
    addresses = _resolve(url, deadline, subject)
    for address in addresses:
        if not is_public_address(address):
            raise BadInputError(
                f"{subject} points to a private or local address ({address}); links must be public web pages "
                "(ASSISTANT_FETCH_PRIVATE=true allows local addresses)"
            )
    return _Target(url, addresses)


def _resolve(url: httpx.URL, deadline: float, subject: str) -> tuple[str, ...]:
    """Every address the link's host resolves to, in the resolver's order of preference."""
    host = url.raw_host.decode("ascii")
    port = url.port or (443 if url.scheme == "https" else 80)
    lookup = _RESOLVER.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        found = lookup.result(timeout=max(deadline - time.monotonic(), 0.0))
    except LookupTimeoutError as err:
        lookup.cancel()
        raise _TimeUpError from err
    except (OSError, UnicodeError) as err:
        raise BadInputError(f"{subject} names a host that cannot be found ({url.host}); check the link") from err
    # Scope ids ("fe80::1%eth0") are dropped: the address is what is checked and connected to.
    addresses = dict.fromkeys(str(info[4][0]).split("%")[0] for info in found)
    if not addresses:
        raise BadInputError(f"{subject} names a host that cannot be found ({url.host}); check the link")
    return tuple(addresses)


def _send(http: httpx.Client, target: _Target, deadline: float, watchdog: _Watchdog) -> httpx.Response:
    """Send one GET for ``target``, to each checked address in turn until one connects; the streaming response."""
    host = target.url.raw_host.decode("ascii")
    for attempt, address in enumerate(target.addresses or ("",)):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _TimeUpError
        headers = dict(_HEADERS)
        extensions: dict[str, Any] = {"trace": watchdog.trace}
        url = target.url
        if address:
            url = target.url.copy_with(host=address)
            headers["Host"] = target.url.netloc.decode("ascii")
            # A pooled connection is keyed by address: kept open, it could carry another name's request over a
            # TLS session whose certificate was checked for this name.
            headers["Connection"] = "close"
            extensions["sni_hostname"] = host
        request = http.build_request(
            "GET", url, headers=headers, timeout=httpx.Timeout(remaining), extensions=extensions
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


def _read_body(response: httpx.Response, limits: FetchLimits, deadline: float, watchdog: _Watchdog, here: str) -> bytes:
    """The decoded body, refused as soon as it is known to exceed ``limits.max_bytes``."""
    too_large = (
        f"{here}: is larger than {limits.max_bytes / 1_000_000:g} MB (ASSISTANT_FETCH_MAX_BYTES); "
        "save the article and add the file instead"
    )
    declared = response.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise BadInputError(too_large)
    encoding = response.headers.get("content-encoding", "").strip().lower()
    body = bytearray()
    for piece in _decoded(response.iter_raw(), encoding, here):
        if len(body) + len(piece) > limits.max_bytes:
            raise BadInputError(too_large)
        body += piece
        if time.monotonic() >= deadline:
            raise _TimeUpError
    # A body that ends at the connection's close also "ends" when the watchdog shuts it down.
    if watchdog.fired:
        raise _TimeUpError
    return bytes(body)


def _decoded(chunks: Iterator[bytes], encoding: str, here: str) -> Iterator[bytes]:
    """The body's bytes decompressed, at most one chunk of output per step whatever the compression ratio."""
    if encoding in ("", "identity"):
        yield from chunks
        return
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise BadInputError(
            f"{here}: is compressed in a way that cannot be read ({encoding}); save the article and add the file"
        )
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header, detected
    try:
        for chunk in chunks:
            data = chunk
            while data and not inflater.eof:
                yield inflater.decompress(data, _DECODED_CHUNK)
                data = inflater.unconsumed_tail
        yield inflater.flush()
    except zlib.error as err:
        raise BadInputError(f"{here}: sent a damaged compressed body ({err}); try later") from err


class _Watchdog:
    """Shuts a fetch's connections down when its time is up, so no slow server can hold it longer."""

    def __init__(self, seconds: float) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.fired = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's ``trace`` extension: note each new connection, before its TLS handshake and after it."""
        if event.endswith(("connect_tcp.complete", "start_tls.complete")):
            self.watch(info.get("return_value"))

    def watch(self, stream: object) -> None:
        """Shut this httpcore network stream's socket down at the deadline."""
        extra = getattr(stream, "get_extra_info", None)
        sock = extra("socket") if callable(extra) else None
        if isinstance(sock, socket.socket):
            with self._lock:
                self._sockets.append(sock)
                if self.fired:
                    _shut(sock)

    def stop(self) -> None:
        """Cancel the timer and forget the sockets (the fetch closes them)."""
        self._timer.cancel()
        with self._lock:
            self._sockets.clear()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    """Wake any read blocked on ``sock``; the fetch then fails and closes it."""
    with contextlib.suppress(OSError):  # already closed
        # The base method: SSLSocket.shutdown would also drop its TLS state under the reading thread.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _too_slow(shown: str, seconds: float) -> str:
    return f"{shown}: did not answer within {seconds:g} s (ASSISTANT_FETCH_TIMEOUT); check the link or try later"


def _bad_status(here: str, status: int) -> str:
    answer = f"{here}: answered {status} {httpx.codes.get_reason_phrase(status)}".rstrip()
    if status >= 500:
        return f"{answer}; the site has a problem, try later"
    return f"{answer}; check the link"


def _shown(link: str) -> str:
    """The link as error messages show it: printable, without credentials, cut short if long."""
    text = "".join(c if c.isprintable() else "?" for c in link.strip())
    try:
        url = httpx.URL(text)
        if url.userinfo:
            text = str(url.copy_with(userinfo=b""))
    except httpx.InvalidURL:
        pass
    return text if len(text) <= _SHOWN_LINK else text[: _SHOWN_LINK - 1] + "…"
