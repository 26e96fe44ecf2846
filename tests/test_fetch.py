"""Fetching links: a real HTTP server on 127.0.0.1 for the behaviour, and the address guard with no network."""

from __future__ import annotations

import gzip
import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from assistant.errors import BadInputError
from assistant.ingest import fetch as fetch_module
from assistant.ingest.fetch import FetchLimits, check_link, fetch, is_public_address

PAGE = b"<html><head><title>News</title></head><body><p>An article.</p></body></html>"
HUGE = 100_000_000
BOMB = 50_000_000
LOCAL = FetchLimits(timeout=5.0, max_bytes=1_000_000, allow_private=True)


def _gzip_of_zeros(size: int) -> bytes:
    """A gzip stream of ``size`` zero bytes, built without holding them all."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(1_000_000)
    return b"".join([*(packer.compress(block) for _ in range(size // len(block))), packer.flush()])


@dataclass
class Served:
    """What the test server did: requests by path, bytes of large bodies sent, and when those stopped."""

    requests: list[str] = field(default_factory=list)
    sent: int = 0
    done: threading.Event = field(default_factory=threading.Event)
    stopping: threading.Event = field(default_factory=threading.Event)
    bomb: bytes = b""


class Handler(BaseHTTPRequestHandler):
    """The test site; every path is one kind of server behaviour."""

    served: Served

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read ``served`` instead."""

    def do_GET(self) -> None:
        """Answer by path."""
        path = urlsplit(self.path).path
        self.served.requests.append(path)
        routes: dict[str, Callable[[], None]] = {
            "/page": lambda: self._send(200, PAGE, "text/html; charset=UTF-8"),
            "/plain": lambda: self._send(200, b"plain text", "text/plain"),
            "/headers": self._echo_headers,
            "/missing": lambda: self._send(404, b"no", "text/plain"),
            "/broken": lambda: self._send(500, b"oops", "text/plain"),
            "/to": self._redirect_to_query,
            "/loop/a": lambda: self._redirect("/loop/b"),
            "/loop/b": lambda: self._redirect("/loop/a"),
            "/trickle-body": self._trickle_body,
            "/trickle-headers": self._trickle_headers,
            "/huge": lambda: self._huge(declared=False),
            "/huge-declared": lambda: self._huge(declared=True),
            "/gzip-page": lambda: self._send(200, gzip.compress(PAGE), "text/html", encoding="gzip"),
            "/bomb": lambda: self._send(200, self.served.bomb, "text/html", encoding="gzip"),
            "/bomb-stacked": lambda: self._send(
                200, gzip.compress(self.served.bomb), "text/html", encoding="gzip, gzip"
            ),
        }
        if path.startswith("/chain/"):
            left = int(path.rsplit("/", 1)[1])
            self._redirect(f"/chain/{left - 1}" if left > 0 else "/page")
        else:
            routes.get(path, lambda: self._send(404, b"unknown", "text/plain"))()

    def _send(self, status: int, body: bytes, content_type: str, encoding: str = "") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _redirect_to_query(self) -> None:
        self._redirect(parse_qs(urlsplit(self.path).query)["url"][0])

    def _echo_headers(self) -> None:
        lines = [f"{name}: {value}" for name, value in self.headers.items()]
        self._send(200, "\n".join(lines).encode(), "text/plain")

    def _trickle_body(self) -> None:
        """Headers at once, then one byte every 0.5 s: each read is quick, the whole is endless."""
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self._trickle(b"x" * 100)

    def _trickle_headers(self) -> None:
        """The status line, then the headers one byte every 0.5 s."""
        self.wfile.write(b"HTTP/1.1 200 OK\r\n")
        self._trickle(b"X-Slow: " + b"y" * 100)

    def _trickle(self, data: bytes) -> None:
        try:
            for byte in data:
                if self.served.stopping.wait(0.5):
                    return
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
        except OSError:
            return  # the client gave up, as it should

    def _huge(self, declared: bool) -> None:
        """Up to HUGE bytes in 64 KB writes, counting what could be sent before the client hung up."""
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        if declared:
            self.send_header("Content-Length", str(HUGE))
        self.end_headers()
        block = b"z" * 65_536
        try:
            while self.served.sent < HUGE and not self.served.stopping.is_set():
                self.wfile.write(block)
                self.served.sent += len(block)
        except OSError:
            pass
        finally:
            self.served.done.set()


@dataclass
class Site:
    """The running test server."""

    base: str
    port: int
    served: Served


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """50 MB of zeros, gzipped (about 50 KB)."""
    return _gzip_of_zeros(BOMB)


@pytest.fixture
def site(bomb: bytes) -> Iterator[Site]:
    """A ThreadingHTTPServer on 127.0.0.1, on a free port, in a thread."""
    served = Served(bomb=bomb)
    handler = type("SiteHandler", (Handler,), {"served": served})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        yield Site(f"http://127.0.0.1:{port}", port, served)
    finally:
        served.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def loopback_is_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the guard treat loopback as public, so it runs (and checks every hop) against the local server."""
    guard = fetch_module.is_public_address
    monkeypatch.setattr(fetch_module, "is_public_address", lambda a: ipaddress.ip_address(a).is_loopback or guard(a))


def refused(url: str, limits: FetchLimits = LOCAL) -> str:
    """The message of the BadInputError that fetching ``url`` raises."""
    with pytest.raises(BadInputError) as caught:
        fetch(url, limits)
    return str(caught.value)


# The behaviour, against a real server.


def test_a_page_comes_with_its_type_and_charset(site: Site) -> None:
    fetched = fetch(f"{site.base}/page#section", LOCAL)
    assert fetched.data == PAGE
    assert (fetched.content_type, fetched.charset) == ("text/html", "utf-8")
    assert fetched.url == f"{site.base}/page"
    plain = fetch(f"{site.base}/plain", LOCAL)
    assert (plain.content_type, plain.charset) == ("text/plain", "")


def test_the_request_says_who_asks_and_what_it_reads(site: Site) -> None:
    headers = fetch(f"{site.base}/headers", LOCAL).data.decode().lower()
    assert "user-agent: article-assistant/0.1 (+local)" in headers
    assert "application/pdf" in headers
    assert "text/html" in headers
    assert "accept-encoding: gzip" in headers


def test_a_gzipped_page_is_decoded(site: Site) -> None:
    assert fetch(f"{site.base}/gzip-page", LOCAL).data == PAGE


def test_an_error_status_is_refused_with_its_reason(site: Site) -> None:
    assert refused(f"{site.base}/missing") == f"{site.base}/missing: answered 404 Not Found; check the link"
    assert "answered 500 Internal Server Error; the site has a problem, try later" in refused(f"{site.base}/broken")


def test_redirects_are_followed_to_the_final_url(site: Site) -> None:
    fetched = fetch(f"{site.base}/chain/3", LOCAL)
    assert fetched.data == PAGE
    assert fetched.url == f"{site.base}/page"
    assert site.served.requests == ["/chain/3", "/chain/2", "/chain/1", "/chain/0", "/page"]


def test_too_many_redirects_are_refused(site: Site) -> None:
    message = refused(f"{site.base}/chain/9", FetchLimits(timeout=5.0, max_redirects=5, allow_private=True))
    assert message.startswith(f"{site.base}/chain/9: redirects more than 5 times")
    assert len(site.served.requests) == 6


def test_a_redirect_loop_is_named(site: Site) -> None:
    message = refused(f"{site.base}/loop/a")
    assert message.startswith(f"{site.base}/loop/a: redirects in a loop (")
    assert f"{site.base}/loop/a → {site.base}/loop/b → {site.base}/loop/a" in message


@pytest.mark.parametrize("path", ["/trickle-body", "/trickle-headers"])
def test_a_trickling_server_is_given_up_on_at_the_deadline(site: Site, path: str) -> None:
    started = time.monotonic()
    message = refused(f"{site.base}{path}", FetchLimits(timeout=1.5, allow_private=True))
    elapsed = time.monotonic() - started
    assert message == (
        f"{site.base}{path}: did not answer within 1.5 s (ASSISTANT_FETCH_TIMEOUT); check the link or try later"
    )
    assert 1.4 < elapsed < 3.0


@pytest.mark.parametrize("path", ["/huge", "/huge-declared"])
def test_a_huge_body_is_refused_without_reading_it_all(site: Site, path: str) -> None:
    message = refused(f"{site.base}{path}")
    assert message == (
        f"{site.base}{path}: is larger than 1 MB (ASSISTANT_FETCH_MAX_BYTES); save the article and add the file instead"
    )
    assert site.served.done.wait(5), "the server still sends: the client kept the connection open"
    assert site.served.sent < HUGE // 5  # what the sockets' buffers held, not the whole body


def test_a_gzip_bomb_is_refused_while_decoding(site: Site) -> None:
    assert len(site.served.bomb) < 100_000
    assert "is larger than 1 MB (ASSISTANT_FETCH_MAX_BYTES)" in refused(f"{site.base}/bomb")


def test_stacked_compression_is_refused(site: Site) -> None:
    assert "is compressed in a way that cannot be read (gzip, gzip)" in refused(f"{site.base}/bomb-stacked")


def test_a_closed_port_cannot_be_reached() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    message = refused(f"http://127.0.0.1:{port}/")
    assert message.startswith(f"http://127.0.0.1:{port}/: could not be reached (")
    assert message.endswith("check the link or try later")


# The address guard.


def test_the_local_server_is_refused_unless_private_addresses_are_allowed(site: Site) -> None:
    message = refused(f"{site.base}/page", FetchLimits(timeout=5.0))
    assert message == (
        f"{site.base}/page: points to a private or local address (127.0.0.1); links must be public web pages "
        "(ASSISTANT_FETCH_PRIVATE=true allows local addresses)"
    )
    assert site.served.requests == []


@pytest.mark.usefixtures("loopback_is_public")
def test_every_redirect_hop_is_checked(site: Site) -> None:
    for target, address in [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://10.0.0.1/admin", "10.0.0.1"),
        ("http://[::ffff:192.168.1.1]/", "::ffff:192.168.1.1"),
    ]:
        start = f"{site.base}/to?url={target}"
        message = refused(start, FetchLimits(timeout=5.0))
        assert message.startswith(f"{start}: redirects to {target}, which points to a private or local address")
        assert f"({address})" in message
        assert "ASSISTANT_FETCH_PRIVATE=true" in message
    assert "is not an http(s) link" in refused(f"{site.base}/to?url=file:///etc/passwd", FetchLimits(timeout=5.0))


def fake_dns(monkeypatch: pytest.MonkeyPatch, names: dict[str, list[str]], *, once: bool = False) -> list[str]:
    """Resolve ``names`` to these addresses (``once``: the first time, then to nothing, as in DNS rebinding).

    Returns:
        The lookups of those names made, as they are made.
    """
    resolve = socket.getaddrinfo
    lookups: list[str] = []

    def lookup(host: str, *args: Any, **kwargs: Any) -> Any:
        if host not in names:
            return resolve(host, *args, **kwargs)
        if once and host in lookups:
            raise socket.gaierror(socket.EAI_NONAME, "rebound")
        lookups.append(host)
        return [info for address in names[host] for info in resolve(address, *args, **kwargs)]

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    return lookups


@pytest.mark.usefixtures("loopback_is_public")
def test_the_connection_goes_to_the_checked_address_and_keeps_the_name(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    lookups = fake_dns(monkeypatch, {"news.example": ["127.0.0.1"]}, once=True)
    fetched = fetch(f"http://news.example:{site.port}/headers", FetchLimits(timeout=5.0))
    assert f"host: news.example:{site.port}" in fetched.data.decode().lower()
    assert fetched.url == f"http://news.example:{site.port}/headers"
    assert lookups == ["news.example"]


@pytest.fixture
def tls_site(site: Site, tmp_path: Path) -> Iterator[tuple[Site, ssl.SSLContext]]:
    """The test site over TLS, with a certificate for news.example; and a client context that trusts it."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=news.example",
         "-addext", "subjectAltName=DNS:news.example"],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    handler = type("TlsHandler", (Handler,), {"served": site.served})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        yield Site(f"https://127.0.0.1:{port}", port, site.served), ssl.create_default_context(cafile=cert)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.usefixtures("loopback_is_public")
def test_over_tls_the_certificate_is_checked_for_the_name_not_the_address(
    tls_site: tuple[Site, ssl.SSLContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    secure, trusted = tls_site
    fake_dns(monkeypatch, {"news.example": ["127.0.0.1"], "other.example": ["127.0.0.1"]})
    with httpx.Client(verify=trusted, trust_env=False) as client:
        fetched = fetch(f"https://news.example:{secure.port}/headers", FetchLimits(timeout=5.0), client=client)
        assert f"host: news.example:{secure.port}" in fetched.data.decode().lower()
        with pytest.raises(BadInputError, match=r"could not be reached .*CERTIFICATE_VERIFY_FAILED"):
            fetch(f"https://other.example:{secure.port}/headers", FetchLimits(timeout=5.0), client=client)
        started = time.monotonic()
        with pytest.raises(BadInputError, match=r"did not answer within 1\.5 s"):
            fetch(f"https://news.example:{secure.port}/trickle-body", FetchLimits(timeout=1.5), client=client)
        assert time.monotonic() - started < 3.0


@pytest.mark.usefixtures("loopback_is_public")
def test_the_next_checked_address_is_tried_when_one_does_not_connect(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server listens on 127.0.0.1 only: 127.0.0.2 refuses the connection.
    lookups = fake_dns(monkeypatch, {"news.example": ["127.0.0.2", "127.0.0.1"]}, once=True)
    assert fetch(f"http://news.example:{site.port}/page", FetchLimits(timeout=5.0)).data == PAGE
    assert lookups == ["news.example"]


@pytest.mark.parametrize(
    ("link", "address"),
    [
        ("http://127.1/", "127.0.0.1"),
        ("http://0x7f000001/", "127.0.0.1"),
        ("http://2130706433/", "127.0.0.1"),
        ("http://[::1]/", "::1"),
        ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1"),
        ("http://10.0.0.1/", "10.0.0.1"),
        ("https://169.254.169.254/latest/", "169.254.169.254"),
        ("http://localhost:8080/", "127.0.0.1"),
        ("http://0.0.0.0/", "0.0.0.0"),
        ("http://[fe80::1]/", "fe80::1"),
    ],
)
def test_literal_and_local_addresses_are_refused(link: str, address: str) -> None:
    with pytest.raises(BadInputError, match=r"points to a private or local address") as caught:
        check_link(link, allow_private=False)
    assert f"({address})" in str(caught.value) or (address == "127.0.0.1" and "(::1)" in str(caught.value))
    assert str(caught.value).startswith(f"{link}: ")
    assert str(caught.value).endswith("(ASSISTANT_FETCH_PRIVATE=true allows local addresses)")


def test_an_octal_address_is_refused_before_any_lookup() -> None:
    with pytest.raises(BadInputError, match=r"^http://0177\.0\.0\.1/: is not a valid link"):
        check_link("http://0177.0.0.1/", allow_private=False)


@pytest.mark.parametrize(
    "link", ["file:///etc/passwd", "ftp://example.com/a.txt", "javascript:alert(1)", "example.com/news", "127.1"]
)
def test_other_schemes_are_refused(link: str) -> None:
    with pytest.raises(BadInputError) as caught:
        check_link(link, allow_private=True)
    assert str(caught.value).startswith(f"{link}: is not an http(s) link; ")


def test_credentials_are_refused_and_not_repeated() -> None:
    with pytest.raises(BadInputError) as caught:
        check_link("https://reader:s3cret@example.com/news", allow_private=True)
    message = str(caught.value)
    assert message.startswith("https://example.com/news: contains a user name or password; ")
    assert "s3cret" not in message


def test_a_link_is_normalised_without_its_fragment() -> None:
    assert check_link("  HTTPS://Example.COM/a?b=1#part ", allow_private=True) == "https://example.com/a?b=1"
    assert check_link("http://93.184.215.14/x#y", allow_private=False) == "http://93.184.215.14/x"


def test_an_unknown_host_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    def nowhere(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", nowhere)
    with pytest.raises(BadInputError) as caught:
        check_link("https://no-such-site.example/a", allow_private=False)
    assert str(caught.value) == (
        "https://no-such-site.example/a: names a host that cannot be found (no-such-site.example); check the link"
    )


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700:4700::1111", True),
        ("::ffff:8.8.8.8", True),
        ("64:ff9b::808:808", True),
        ("64:ff9b::a00:1", False),
        ("::ffff:10.0.0.1", False),
        ("100.64.0.1", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("::", False),
    ],
)
def test_public_addresses(address: str, public: bool) -> None:
    assert is_public_address(address) is public
