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

This module holds the policy and the redirects; the parts are in ``addresses`` (the public-address test, name
lookups, requests pinned to a checked address), ``deadline`` (the watchdog) and ``response_body`` (bounded
reading and decompression).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import httpx

from assistant.errors import BadInputError
from assistant.ingest.addresses import Target, is_public_address, resolve_host, send_pinned
from assistant.ingest.deadline import TimeUpError, Watchdog
from assistant.ingest.response_body import read_body

# is_public_address is defined in addresses and called from _check through this module's name, where tests patch it.
__all__ = ["DEFAULT_LIMITS", "USER_AGENT", "FetchLimits", "Fetched", "check_link", "fetch", "is_public_address"]

logger = logging.getLogger(__name__)

USER_AGENT = "article-assistant/0.1 (+local)"
_HEADERS = {
    "User-Agent": USER_AGENT,
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,application/rss+xml;q=0.9,"
    "application/atom+xml;q=0.9,application/pdf;q=0.9,text/plain;q=0.8,*/*;q=0.5",
    # Decoded in response_body, with a bound on the output; other encodings (br, zstd, stacked ones) are refused.
    "Accept-Encoding": "gzip",
}
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_SHOWN_LINK = 200


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
    except TimeUpError as err:
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
    watchdog = Watchdog(limits.timeout)
    http = client if client is not None else httpx.Client(trust_env=False)
    shown = _shown(url)
    try:
        fetched, status = _follow(url, limits, http, started + limits.timeout, watchdog)
    except TimeUpError as err:
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
    url: str, limits: FetchLimits, http: httpx.Client, deadline: float, watchdog: Watchdog
) -> tuple[Fetched, int]:
    """Fetch ``url``, following and checking each redirect; the body and the final status."""
    shown = _shown(url)
    target = _check(url, limits.allow_private, deadline, shown + ":")
    visited = [str(target.url)]
    while True:
        response = send_pinned(http, target, _HEADERS, deadline, watchdog)
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
                    data=read_body(response, limits.max_bytes, deadline, watchdog, here),
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


def _check(link: str, allow_private: bool, deadline: float, subject: str) -> Target:
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
        return Target(url, ())
    addresses = resolve_host(url, deadline, subject)
    for address in addresses:
        if not is_public_address(address):
            raise BadInputError(
                f"{subject} points to a private or local address ({address}); links must be public web pages "
                "(ASSISTANT_FETCH_PRIVATE=true allows local addresses)"
            )
    return Target(url, addresses)


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
